import type { ChannelConfig } from '#shared/inventory/channel-config.ts';
import type { ChannelPort } from '#shared/inventory/ports.ts';

/** A channel port over a fixed list (none by default): what the normalizer reads of channels. */
export const channelList = (configs: ChannelConfig[] = []): ChannelPort => ({ list: async () => configs });
