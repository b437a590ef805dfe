export async function writeReceipt(..._a: unknown[]): Promise<void> {
  throw new Error('not yet');
}
