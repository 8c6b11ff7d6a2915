/** Where an environment is served, as a user types it: `http://127.0.0.1:4101`. */
export function addressOf(listen: { readonly host: string; readonly port: number }): string {
  const host = listen.host === '0.0.0.0' || listen.host === '::' ? '127.0.0.1' : listen.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${listen.port}`;
}
