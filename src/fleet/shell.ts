/** Quoting for the POSIX shell that runs our commands on a host. */
export function sh(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
