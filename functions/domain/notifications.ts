/** The notifications an action causes, as use cases state them: the outbox (adapters/outbox-store.ts) seals and sends them. */
export type Template =
  | 'record-created'
  | 'record-closed'
  | 'record-reactivated'
  | 'login-code'
  | 'mobile-code'
  | 'mobile-changed'
  | 'credentials-reissued'
  | 'first-access'
  | 'emergency-access'
  | 'document-pending'
  | 'emergency-access-professional'
  | 'vaccination-due';

/** `sms` to the patient's (or a representative's) mobile; `professional` through the professional messaging topic. */
export type NotificationChannel = 'sms' | 'professional';

export interface OutboxMessage {
  /** E.164 number, or a professional's id on the professional channel: sealed before it is stored. */
  to: string;
  template: Template;
  channel?: NotificationChannel;
  /** Values the text needs (a one-time code, a record id): sealed, and erased once sent. */
  params?: Record<string, string>;
}

/** Who a fan-out stands for: the record's attending physicians (valid authorization) when it was written. */
export type Audience = 'attending-physicians';

export interface FanOutMessage {
  audience: Audience;
  /** Sent to each recipient on the professional channel. */
  template: Template;
  params?: Record<string, string>;
  /** The one member of the audience not told (whose action the message reports): sealed. */
  except?: string;
}

/** The SMS texts: no names, no health content; a one-time code only where it is the point. */
export const TEXTS: Record<Template, string> = {
  'record-created': 'Votre DMP (Dossier Medical Partage) a ete cree. Connectez-vous sur dmp.fr avec les identifiants qui vous ont ete remis.',
  'record-closed': 'Votre DMP a ete ferme. Il reste conserve 10 ans et peut etre reactive sur dmp.fr.',
  'record-reactivated': 'Votre DMP a ete reactive.',
  'login-code': 'DMP : votre code de connexion est {code}. Il expire dans 5 minutes. Ne le communiquez a personne.',
  'mobile-code': 'DMP : pour confirmer ce numero, saisissez le code {code}. Il expire dans 5 minutes.',
  'mobile-changed': 'DMP : le numero de mobile de votre DMP a ete modifie. Si ce n est pas vous, contactez le 3422.',
  'credentials-reissued': 'DMP : de nouveaux identifiants de connexion ont ete remis au guichet. Les precedents ne fonctionnent plus.',
  'first-access': 'DMP : un professionnel de sante a consulte votre DMP pour la premiere fois. Le detail est dans l historique des acces sur dmp.fr.',
  'emergency-access': 'DMP : votre DMP a ete consulte en urgence par un professionnel de sante. Le detail est dans l historique des acces sur dmp.fr.',
  'document-pending': 'DMP : un nouveau document a ete ajoute a votre DMP. Il vous sera presente lors d une consultation, ou visible sur dmp.fr d ici deux semaines.',
  'emergency-access-professional': 'DMP : acces en urgence ({mode}) au DMP {dmpId}, dont vous etes le medecin traitant. Detail dans l historique des acces.',
  'vaccination-due': 'DMP : une vaccination est a prevoir. Le detail est dans votre DMP sur dmp.fr.',
};

/** Fills a template's {names}; a name without a value is left empty. */
export const renderText = (template: Template, params: OutboxMessage['params'] = {}): string => TEXTS[template].replace(/\{(\w+)\}/g, (_m, name: string) => params[name] ?? '');
