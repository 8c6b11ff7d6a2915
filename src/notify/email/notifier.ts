/**
 * Email over SMTP with nodemailer: the event in plain words as the subject and a text body, the
 * delivery id as the Message-ID (the receiver's duplicate key across retries). A 552 (message too
 * large) is permanent; every other failure is retried. The password is read from the secret store
 * at delivery and never appears in the message or an error.
 */
import type { NotificationSubscription } from '../../config/notifications.ts';
import {
  type Delivery,
  type Notifier,
  type NotifierTimeouts,
  PermanentDeliveryError,
  type SecretReader,
} from '../contract.ts';
import { wordsOf } from '../words.ts';

export interface EmailOptions extends NotifierTimeouts {
  readonly secret: SecretReader;
}

export function emailMessage(delivery: Delivery, from: string, to: readonly string[]) {
  const words = wordsOf(delivery.payload);
  const body = [
    words.title,
    '',
    ...words.lines,
    ...(words.link ? ['', `${words.link.label}: ${words.link.url}`] : []),
    '',
    `— slipway (${delivery.app}, ${delivery.env}, ${delivery.event})`,
  ].join('\n');
  return {
    from,
    to: [...to],
    subject: words.title.length > 200 ? `${words.title.slice(0, 199)}…` : words.title,
    text: body,
    messageId: `<${delivery.id}@slipway>`,
    headers: { 'X-Slipway-Event': delivery.event },
  };
}

export function createEmailNotifier(options: EmailOptions): Notifier {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    name: 'email',
    async send(delivery: Delivery, sub: NotificationSubscription) {
      const where = `notifications "${sub.name}"`;
      const { smtp, from, to } = sub;
      if (!smtp || !from || !to)
        throw new Error(`${where}: kind email needs smtp, from and to in slipway.yaml`);
      let pass: string | undefined;
      if (smtp.password) {
        pass = await options.secret(smtp.password);
        if (pass === undefined)
          throw new Error(
            `${where}: no secret ${smtp.password.key} in environment ${smtp.password.env}; set the SMTP password with \`slipway secret set ${smtp.password.env} ${smtp.password.key}\``,
          );
      }
      // Loaded here: only a subscription of kind email needs it.
      const { default: nodemailer } = await import('nodemailer');
      const transport = nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.security === 'tls',
        requireTLS: smtp.security === 'starttls',
        ignoreTLS: smtp.security === 'none',
        ...(smtp.user && pass !== undefined && { auth: { user: smtp.user, pass } }),
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
      });
      try {
        await transport.sendMail(emailMessage(delivery, from, to));
      } catch (error) {
        const e = error as Error & { code?: string; responseCode?: number; response?: string };
        const server = `${smtp.host}:${smtp.port}`;
        if (e.responseCode === 552)
          throw new PermanentDeliveryError(
            `${where}: SMTP server ${server} refused the message as too large (552); no retry can fix it`,
          );
        const why = e.responseCode
          ? `answered ${e.responseCode}${e.code === 'EAUTH' ? ' (authentication failed: check smtp.user and the password secret)' : ''}`
          : e.code === 'ETIMEDOUT' || /timeout/i.test(e.message)
            ? `no answer within ${timeoutMs} ms`
            : ['ESOCKET', 'ECONNECTION', 'EDNS'].includes(e.code ?? '')
              ? `could not be reached (${e.message.replace(/[^\w .:,()-]/g, '').slice(0, 120)})`
              : (e.code ?? 'failed');
        throw new Error(`${where}: SMTP server ${server} ${why}`);
      } finally {
        transport.close();
      }
    },
  };
}
