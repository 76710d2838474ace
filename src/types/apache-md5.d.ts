// apache-md5 ships src/apache-md5.d.ts but its package.json names no `types`, so TypeScript cannot find it.
declare module 'apache-md5' {
  /** MD5-crypt: `$apr1$` (or `$1$` when the salt starts so); the salt may be a whole stored hash. */
  export default function aprMd5(password: string, salt?: string): string;
}
