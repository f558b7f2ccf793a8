import { adapt } from '#shared/adapters/index.ts';
import { mixFor, mixLabel, round, type BenchModule } from './lib.ts';
import { NORMALIZE_ORDERS } from './normalize-cost.ts';

/** Pure adapters over the mix on one core: JSON parse, zod schemas, canonical-event checks. */
export const adapterBench: BenchModule = {
  name: 'adapters',
  title: 'Adapter throughput (one core)',
  async run(ctx) {
    const mix = await mixFor(ctx, NORMALIZE_ORDERS);
    const inputs = mix.items.map((it) => ({ delivery: it.delivery, body: it.body }));
    let events = 0;
    // warm-up pass
    for (const input of inputs) events += adapt(input).length;
    const budgetMs = ctx.quick ? 1500 : 4000;
    let done = 0;
    events = 0;
    const t = performance.now();
    while (performance.now() - t < budgetMs) {
      for (const input of inputs) events += adapt(input).length;
      done += inputs.length;
    }
    const seconds = (performance.now() - t) / 1000;
    const perSecond = done / seconds;
    ctx.log(`measured on ${mixLabel(mix)}, ${done.toLocaleString('en-US')} adaptations in ${seconds.toFixed(2)} s`);
    ctx.log(
      `adapt(): ${Math.round(perSecond).toLocaleString('en-US')} deliveries/s, ${Math.round(events / seconds).toLocaleString('en-US')} canonical events/s, ${round(1000 / perSecond, 4)} ms per delivery`,
    );
    return {
      figures: {
        orders: mix.orders.length,
        deliveries: mix.items.length,
        seed: mix.seed,
        adaptations: done,
        seconds: round(seconds),
        deliveriesPerSecond: Math.round(perSecond),
        eventsPerSecond: Math.round(events / seconds),
        msPerDelivery: round(1000 / perSecond, 4),
      },
      headline: [
        {
          figure: 'Adapter throughput, one core',
          value: `${Math.round(perSecond).toLocaleString('en-US')} deliveries/s`,
          measuredOn: mixLabel(mix),
        },
      ],
    };
  },
};
