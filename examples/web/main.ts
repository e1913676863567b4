/**
 * The example page's script: a patient's walk through the API with the typed client, from the
 * browser, on an origin of its own (CORS): login with password then SMS code (and the password
 * change a provisional password requires), the document list, masking a document from
 * professionals, and the access log. The session token stays in memory: a reload logs out.
 */
import { bearer, createDmpClient, type Problem, type paths } from '../../clients/typescript/index.ts';

type Documents = paths['/v1/records/{dmpId}/documents']['get']['responses'][200]['content']['application/json']['items'];
type AccessLog = paths['/v1/records/{dmpId}/access-log']['get']['responses'][200]['content']['application/json']['items'];

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
};

const apiUrl = document.querySelector<HTMLMetaElement>('meta[name="dmp-api"]')?.content ?? 'http://localhost:3000';
const dmp = createDmpClient({ baseUrl: apiUrl });

const state: { challengeId?: string; token?: string; dmpId?: string; password?: string } = {};

const status = element<HTMLParagraphElement>('status');
const say = (text: string, error = false): void => {
  status.textContent = text;
  status.classList.toggle('error', error);
};
const problemText = (what: string, error: Problem | undefined, httpStatus: number): string =>
  `${what} : ${error?.title ?? 'erreur'} (${httpStatus})${error?.detail ? ` — ${error.detail}` : ''}`;

const show = (visible: 'login-form' | 'code-form' | 'password-form' | 'record'): void => {
  for (const id of ['login-form', 'code-form', 'password-form', 'record']) element(id).hidden = id !== visible;
};

/** The session's record: the token's `sub` (a patient's session opens that record only). */
const subjectOf = (token: string): string => {
  const payload = token.split('.')[1] ?? '';
  return (JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { sub: string }).sub;
};

const cell = (row: HTMLTableRowElement, text: string): HTMLTableCellElement => {
  const td = row.insertCell();
  td.textContent = text;
  return td;
};

const day = (iso: string): string => new Date(iso).toLocaleString('fr-FR', { dateStyle: 'short', timeStyle: 'short', timeZone: 'UTC' });

const renderDocuments = (items: Documents): void => {
  const body = element<HTMLTableElement>('documents').tBodies[0]!;
  body.replaceChildren();
  for (const d of items) {
    const row = body.insertRow();
    row.dataset.documentId = d.documentId;
    row.classList.toggle('masked', d.visibility.maskedToProfessionals);
    cell(row, d.title);
    cell(row, d.serviceDate);
    cell(row, d.author.kind === 'professional' ? `professionnel ${d.author.id}` : d.author.kind === 'patient' ? 'moi' : 'représentant');
    cell(row, d.visibility.maskedToProfessionals ? 'masqué aux professionnels' : 'visible');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = d.visibility.maskedToProfessionals ? 'Rendre visible' : 'Masquer';
    button.addEventListener('click', () => void setMasked(d.documentId, !d.visibility.maskedToProfessionals));
    row.insertCell().append(button);
  }
  if (items.length === 0) cell(body.insertRow(), 'Aucun document.').colSpan = 5;
};

/** The access log names a document by its title when the list holds it, by its id otherwise. */
const renderAccessLog = (items: AccessLog, titles: ReadonlyMap<string, string>): void => {
  const body = element<HTMLTableElement>('access-log').tBodies[0]!;
  body.replaceChildren();
  for (const e of items) {
    const row = body.insertRow();
    cell(row, day(e.at));
    cell(row, e.actor.kind === 'patient' ? 'moi' : `${e.actor.kind}${e.actor.id ? ` ${e.actor.id}` : ''}`);
    cell(row, e.action);
    if (e.documentId) row.dataset.documentId = e.documentId;
    cell(row, e.documentId ? (titles.get(e.documentId) ?? e.documentId) : '');
    cell(row, e.outcome === 'allowed' ? 'autorisé' : `refusé${e.reason ? ` (${e.reason})` : ''}`);
  }
};

const refresh = async (): Promise<void> => {
  const { token, dmpId } = state;
  if (!token || !dmpId) return;
  const params = { path: { dmpId } };
  const [documents, log] = await Promise.all([
    dmp.GET('/v1/records/{dmpId}/documents', { params, headers: bearer(token) }),
    dmp.GET('/v1/records/{dmpId}/access-log', { params: { ...params, query: { limit: '50' } }, headers: bearer(token) }),
  ]);
  if (!documents.data) return say(problemText('Liste des documents', documents.error, documents.response.status), true);
  if (!log.data) return say(problemText('Journal des accès', log.error, log.response.status), true);
  renderDocuments(documents.data.items);
  renderAccessLog(log.data.items, new Map(documents.data.items.map((d) => [d.documentId, d.title])));
};

const setMasked = async (documentId: string, masked: boolean): Promise<void> => {
  const { token, dmpId } = state;
  if (!token || !dmpId) return;
  const answer = await dmp.PATCH('/v1/records/{dmpId}/documents/{documentId}', {
    params: { path: { dmpId, documentId } },
    body: { maskedToProfessionals: masked },
    headers: bearer(token),
  });
  if (!answer.data) return say(problemText('Masquage', answer.error, answer.response.status), true);
  say(masked ? 'Document masqué aux professionnels.' : 'Document de nouveau visible.');
  await refresh();
};

element<HTMLFormElement>('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const loginId = element<HTMLInputElement>('login-id').value.trim();
  const password = element<HTMLInputElement>('password').value;
  const answer = await dmp.POST('/v1/auth/patient/login', { body: { loginId, password } });
  if (!answer.data) return say(problemText('Connexion', answer.error, answer.response.status), true);
  state.challengeId = answer.data.challengeId;
  state.password = password;
  say('Un code vous a été envoyé par SMS.');
  show('code-form');
  element<HTMLInputElement>('code').focus();
});

element<HTMLFormElement>('code-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const code = element<HTMLInputElement>('code').value.trim();
  const answer = await dmp.POST('/v1/auth/patient/verify', { body: { challengeId: state.challengeId ?? '', code } });
  element<HTMLInputElement>('code').value = '';
  if (!answer.data) {
    show('login-form');
    return say(problemText('Code', answer.error, answer.response.status), true);
  }
  state.token = answer.data.accessToken;
  state.dmpId = subjectOf(answer.data.accessToken);
  if (answer.data.mustChangePassword) {
    say('Choisissez votre mot de passe : le mot de passe provisoire ne permet que cela.');
    return show('password-form');
  }
  say('Connecté.');
  element('dmp-id').textContent = state.dmpId;
  show('record');
  await refresh();
});

element<HTMLFormElement>('password-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const newPassword = element<HTMLInputElement>('new-password').value;
  const answer = await dmp.POST('/v1/auth/patient/password', { body: { currentPassword: state.password ?? '', newPassword }, headers: bearer(state.token ?? '') });
  element<HTMLInputElement>('new-password').value = '';
  if (answer.response.status !== 204) return say(problemText('Mot de passe', answer.error, answer.response.status), true);
  // The session of a provisional password stays limited: log in again with the new one.
  Object.assign(state, { token: undefined, dmpId: undefined, password: undefined });
  element<HTMLInputElement>('password').value = '';
  say('Mot de passe changé : reconnectez-vous avec le nouveau.');
  show('login-form');
});

element<HTMLButtonElement>('logout').addEventListener('click', () => {
  Object.assign(state, { token: undefined, dmpId: undefined, challengeId: undefined, password: undefined });
  element<HTMLInputElement>('password').value = '';
  say('Déconnecté.');
  show('login-form');
});
