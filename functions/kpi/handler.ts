import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { errorResponse, HttpError } from '#shared/http/errors.ts';

/** Placeholder until the kpi API lands: answers every route with a JSON 501. */
export async function handler(_event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> {
  return errorResponse(new HttpError(501, 'not_implemented', 'the kpi API is not built yet'));
}
