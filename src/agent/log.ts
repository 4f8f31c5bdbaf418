// The agent's log: one JSON object per line when stdout is not a terminal (journald), a readable line otherwise.
import { escapeControls, terminalJson } from '../util/terminal';

export type Level = 'info' | 'warn' | 'error';
export type Fields = Record<string, unknown>;
export type Logger = (level: Level, msg: string, fields?: Fields) => void;

export function makeLogger(out: NodeJS.WritableStream & { isTTY?: boolean }, now: () => Date = () => new Date()): Logger {
  const json = !out.isTTY;
  return (level, msg, fields = {}) => {
    try {
      // messages and fields carry network, container and bridge names: no raw control character either way
      if (json) out.write(`${terminalJson({ time: now().toISOString(), level, msg, ...fields })}\n`);
      else {
        const extra = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : terminalJson(v)}`).join(' ');
        out.write(`${now().toISOString().slice(11, 23)} ${level === 'info' ? '' : `${level.toUpperCase()} `}${escapeControls(`${msg}${extra ? `  ${extra}` : ''}`)}\n`);
      }
    } catch { /* a closed stdout must not stop the agent */ }
  };
}
