// One logger for the API and the worker: pino, JSON lines on stdout, with personal data taken
// out of every line before it is written (error messages quote what they failed on, e.g. a
// duplicate identity key `email:ana@example.com`).
import { pino, type Logger } from 'pino';

// A match may start only where a run of address characters starts, so each run is read once.
const email = /(?<![\w%+.-])[\w%+.-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
// E.164 as stored (+8613800138000) and Chinese mobile numbers as typed (13800138000).
const phone = /\+\d{8,15}\b|\b1[3-9]\d{9}\b/g;

/** The text with e-mail addresses and phone numbers replaced by placeholders. */
export const redactPii = (text: string): string => text.replace(email, '[email]').replace(phone, '[phone]');

export function createLogger(level: string, write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  return pino({ level }, { write: (line: string) => write(redactPii(line)) });
}
