/**
 * The email notifier against the Notifier contract, through nodemailer to a real SMTP server
 * (the `smtp-server` library on 127.0.0.1) that asks for a password and reads each message.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Received, ReceiverMode } from '../contract.case.test.ts';
import { runNotifierContract } from '../contract.case.test.ts';
import { closedPort } from '../testing.ts';
import { createEmailNotifier } from './notifier.ts';

const PASSWORD = 'smtp-pa55word-contract-Zq81';

/** Quoted-printable and folded headers undone, enough to read what a mail client shows. */
function readable(source: string): string {
  const [head = '', ...rest] = source.split(/\r?\n\r?\n/);
  const body = rest.join('\n\n');
  const qp = /content-transfer-encoding:\s*quoted-printable/i.test(head);
  const decoded = qp
    ? Buffer.from(
        body
          .replace(/=\r?\n/g, '')
          .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
        'latin1',
      ).toString('utf8')
    : body;
  return `${head.replace(/\r?\n[ \t]+/g, ' ')}\n\n${decoded}`;
}

runNotifierContract({
  name: 'email (real SMTP server)',
  plainWords: true,
  async create({ timeoutMs }) {
    const received: Received[] = [];
    let mode: ReceiverMode = 'ok';
    const server = new SMTPServer({
      authMethods: ['PLAIN', 'LOGIN'],
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      size: 64 * 1024,
      logger: false,
      onAuth(auth, _session, cb) {
        if (auth.username === 'slipway' && auth.password === PASSWORD) cb(null, { user: 'slipway' });
        else cb(new Error('Invalid username or password'));
      },
      onData(stream, _session, cb) {
        let source = '';
        stream.setEncoding('utf8');
        stream.on('data', (c: string) => (source += c));
        stream.on('end', () => {
          if (mode === 'slow') return; // never answers the end of DATA
          if (mode === 'error') return cb(Object.assign(new Error('Try again later'), { responseCode: 451 }));
          if (mode === 'too-large')
            return cb(
              Object.assign(new Error('Message exceeds fixed maximum message size'), { responseCode: 552 }),
            );
          const text = readable(source);
          const id = /^message-id:\s*(\S+)/im.exec(text)?.[1] ?? '';
          received.push({ key: id, text });
          cb(null);
        });
      },
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.server.address() as AddressInfo).port;
    const sub = {
      name: 'contract',
      kind: 'email' as const,
      smtp: {
        host: '127.0.0.1',
        port,
        security: 'none' as const,
        user: 'slipway',
        password: { env: 'production', key: 'SMTP_PASSWORD' },
      },
      from: 'slipway@example.com',
      to: ['ops@example.com'],
      events: [],
      attempts: 3,
    };
    return {
      notifier: createEmailNotifier({ secret: async () => PASSWORD, timeoutMs }),
      subscription: sub,
      unreachable: { ...sub, smtp: { ...sub.smtp, port: await closedPort() } },
      credentials: [PASSWORD, Buffer.from(`\0slipway\0${PASSWORD}`).toString('base64')],
      received: () => received,
      mode: (m) => {
        mode = m;
      },
      close: () => new Promise<void>((ok) => server.close(() => ok())),
    };
  },
});
