// Renders the host snapshot for `status`.
import type { RunContext } from '../cli/context';

export async function runStatus(ctx: RunContext): Promise<void> {
  ctx.outJson({ endpoint: ctx.endpoint() });
}
