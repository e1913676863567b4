/**
 * Password policy in the spirit of NIST SP 800-63B §3.1.1.2: length over composition (12 to 128
 * characters, any characters, spaces welcome: passphrases), and refusal of what guessers try first —
 * common words with digits around them, keyboard runs and sequences, too few distinct characters,
 * the login id itself. No composition rules, no expiry.
 */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

/** The bases of the commonest passwords (French and English lists), lower case, letters only. */
const COMMON_BASES = new Set([
  'password',
  'passw',
  'motdepasse',
  'mdp',
  'azerty',
  'azertyuiop',
  'qwerty',
  'qwertyuiop',
  'qwertz',
  'abc',
  'abcd',
  'abcdef',
  'soleil',
  'bonjour',
  'doudou',
  'loulou',
  'chouchou',
  'marseille',
  'paris',
  'france',
  'amour',
  'jetaime',
  'iloveyou',
  'princesse',
  'coucou',
  'football',
  'admin',
  'administrateur',
  'welcome',
  'bienvenue',
  'letmein',
  'monkey',
  'dragon',
  'sunshine',
  'master',
  'secret',
  'dmp',
  'sante',
  'dossiermedical',
  'dossiermedicalpartage',
  'ameli',
  'login',
  'user',
  'utilisateur',
  'test',
  'changeme',
  'toto',
  'titi',
  'nicolas',
  'camille',
  'thomas',
]);

/** Keyboard rows and alphabets: any run along them is a guesser's first try. */
const RUNS = ['azertyuiopqsdfghjklmwxcvbn', 'qwertyuiopasdfghjklzxcvbnm', 'abcdefghijklmnopqrstuvwxyz', '0123456789'];

const isRun = (s: string): boolean => {
  if (s.length < 6) return false;
  const reversed = [...s].reverse().join('');
  return RUNS.some((run) => (run + run).includes(s) || (run + run).includes(reversed));
};

export const passwordProblem = (password: string, context: { loginId?: string } = {}): string | undefined => {
  const chars = [...password];
  if (chars.length < PASSWORD_MIN) return `The password needs at least ${PASSWORD_MIN} characters.`;
  if (chars.length > PASSWORD_MAX) return `The password has at most ${PASSWORD_MAX} characters.`;
  const lower = password.toLowerCase();
  const letters = lower.normalize('NFD').replace(/[^a-z]/g, '');
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: after NFD the combining accents are separate characters
  const rest = lower.normalize('NFD').replace(/[a-z\u0300-\u036f]/g, '');
  const tooCommon =
    new Set(chars).size < 5 ||
    isRun(lower.replace(/\s/g, '')) ||
    // A common word with digits or punctuation around it: "Motdepasse2026!", "azerty123456".
    (COMMON_BASES.has(letters) && /^[^a-z]*$/.test(rest)) ||
    (letters.length === 0 && isRun(rest)) ||
    (context.loginId !== undefined && lower.includes(context.loginId));
  return tooCommon ? 'This password is too common or too easy to guess: a few unrelated words make a good one.' : undefined;
};
