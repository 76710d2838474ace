declare module 'apache-crypt' {
  /** Traditional crypt(3) DES: the first two characters of `salt` (a stored hash will do) are the salt. */
  export default function apacheCrypt(password: string, salt?: string): string;
}
