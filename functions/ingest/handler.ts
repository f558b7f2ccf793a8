// placeholder: being written by the ingestion work (issue 3)
export async function handler(): Promise<{ statusCode: number; body: string }> {
  return { statusCode: 503, body: '{"error":{"code":"not_ready","message":"ingest is being built"}}' };
}
