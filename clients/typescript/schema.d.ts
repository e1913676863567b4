/**
 * The API's types, generated from its OpenAPI document by openapi-typescript: do not edit.
 * Regenerate with `npm run client:generate` after a change to a route or a schema.
 */

export interface paths {
    "/v1/records": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create a DMP with the express consent of the person
         * @description By a health professional (a pharmacist with a structure: pharmacy channel), a CPAM agent, or the insured person online with a creation code (no token). A minor: only by a professional or an agent, with at least one legal representative.
         *
         *     Callers: health professionals (Pro Santé Connect); Assurance Maladie agents; anyone, without a token.
         */
        post: operations["createRecord"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/creation-codes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Issue a single-use online creation code bound to an INS
         * @description Callers: Assurance Maladie agents.
         */
        post: operations["createCreationCode"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Find the DMP of an INS and the caller’s authorization on it
         * @description Callers: health professionals (Pro Santé Connect); Assurance Maladie agents.
         */
        post: operations["searchRecord"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read a record: identity, contact, status, emergency settings, attending physicians, representatives
         * @description Callers: health professionals (Pro Santé Connect); the record’s holder (patient session); a legal representative (session).
         */
        get: operations["getRecord"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/closure": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Close the record: read-only and invisible to professionals, kept ten years, then destroyed
         * @description Callers: the record’s holder (patient session); a legal representative (session).
         */
        post: operations["closeRecord"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/reactivation": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reactivate a closed record
         * @description By the patient (or a representative), or by a professional or agent with the express consent of the person.
         *
         *     Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect); Assurance Maladie agents.
         */
        post: operations["reactivateRecord"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/settings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change emergency-access oppositions and contact details
         * @description A new mobile (a French mobile, metropolitan or overseas) becomes active only once the code sent to it is confirmed (POST .../settings/mobile-confirmation). At most 3 codes an hour and 5 a day per record: past them, 429 with Retry-After, and nothing changes.
         *
         *     Callers: the record’s holder (patient session); a legal representative (session).
         */
        patch: operations["updateSettings"];
        trace?: never;
    };
    "/v1/records/{dmpId}/settings/mobile-confirmation": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Confirm a new mobile with the code sent to it
         * @description Callers: the record’s holder (patient session); a legal representative (session).
         */
        post: operations["confirmMobile"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/notifications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * What was sent to the patient, when and why
         * @description Callers: the record’s holder (patient session); a legal representative (session).
         */
        get: operations["listNotifications"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/patient/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * First factor: login id and password; sends a one-time code by SMS
         * @description Callers: anyone, without a token.
         */
        post: operations["patientLogin"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/patient/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Second factor: the SMS code; returns a session token (15 minutes)
         * @description Callers: anyone, without a token.
         */
        post: operations["patientVerify"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/patient/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Change the password (required after a provisional one)
         * @description Callers: the record’s holder (patient session); a legal representative (session).
         */
        post: operations["patientPassword"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/credentials": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Issue new patient credentials at a CPAM desk (lost password, or a minor who turned 18)
         * @description The previous patient login stops working. When the person is of age, the representatives’ logins are removed.
         *
         *     Callers: Assurance Maladie agents.
         */
        post: operations["reissueCredentials"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/documents": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The documents the caller may see, newest first
         * @description `q` searches the words of titles (keyed tokens, never clear text). `status=all` adds archived documents and superseded versions; every version is shown or hidden by its document’s labels. A page may hold fewer than `limit` items: follow `nextCursor` until it is null.
         *
         *     Callers: health professionals (Pro Santé Connect); the record’s holder (patient session); a legal representative (session).
         */
        get: operations["listDocuments"];
        put?: never;
        /**
         * Deposit a document (or a new version of one), its content encrypted with the patient’s key
         * @description A professional needs no authorization (but is refused when blocked); the patient and representatives deposit patient documents (class 90). Content: at most 4 MiB decoded (413 above). A document cannot be both invisible to the patient and masked to professionals. A new version keeps the patient’s mask, and its labels become the whole document’s, every earlier version’s; a document has at most 50 versions (409 beyond).
         *
         *     Callers: health professionals (Pro Santé Connect); the record’s holder (patient session); a legal representative (session).
         */
        post: operations["depositDocument"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/documents/{documentId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A document with its content (base64); every read is traced
         * @description Callers: health professionals (Pro Santé Connect); the record’s holder (patient session); a legal representative (session).
         */
        get: operations["readDocument"];
        put?: never;
        post?: never;
        /**
         * Delete a document (logical): by its author only; it leaves every list, its traces stay
         * @description Deletes the whole document, every version, through its current version (409 on a superseded one).
         *
         *     Callers: health professionals (Pro Santé Connect); the record’s holder (patient session); a legal representative (session).
         */
        delete: operations["deleteDocument"];
        options?: never;
        head?: never;
        /**
         * Mask or unmask (patient), reveal to the patient or to representatives (author), archive (author or patient)
         * @description Labels are the whole document’s, every version’s: they change through its current version (409 on a superseded one). Revealing a document to representatives cannot be undone.
         *
         *     Callers: health professionals (Pro Santé Connect); the record’s holder (patient session); a legal representative (session).
         */
        patch: operations["updateDocument"];
        trace?: never;
    };
    "/v1/records/{dmpId}/professionals": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The professionals authorised or blocked on the record, and the attending physicians
         * @description Callers: the record’s holder (patient session); a legal representative (session).
         */
        get: operations["listProfessionals"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/professionals/{professionalId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Authorise or block a professional; name or unname an attending physician
         * @description Callers: the record’s holder (patient session); a legal representative (session).
         */
        put: operations["decideProfessional"];
        post?: never;
        /**
         * Remove a professional’s authorization (or block)
         * @description Callers: the record’s holder (patient session); a legal representative (session).
         */
        delete: operations["removeProfessional"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/access": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Record the patient’s consent given at the consultation, or declare an emergency access
         * @description `break-glass` needs a reason and is refused when the patient opposed it; `regulation` needs the regulator role (SAMU Centre 15) and is refused when the patient opposed it; a blocked professional is refused in every mode. The patient is told of an emergency access by SMS (not of a renewal while the professional’s access runs, at most once per professional in 12 hours and 5 times a day per record: every access is in the access log), attending physicians through professional messaging.
         *
         *     Callers: health professionals (Pro Santé Connect).
         */
        post: operations["declareAccess"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/access-log": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Who accessed what, when, in which mode: all of it for the patient and attending physicians, their own actions for anyone else
         * @description Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect); Assurance Maladie agents.
         */
        get: operations["accessLog"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/claims/batches": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * The Assurance Maladie’s sync: a batch of reimbursed-care lines for up to 500 patients
         * @description Only the insurer’s sync (client credentials, scope `claims:write`). Idempotent by `batchId`: the same id and body answer the same; another body under the same id is refused (422). Each line is checked alone: a faulty line is refused (its patient index, line index, field path and reason are listed) and the others are stored; a line already stored (the same `sourceId` and date) is counted duplicate, stored once; a line whose `sourceId` is stored at another date is a correction: it replaces the stored line (one line per `sourceId`, at the date sent last), counted accepted and corrected. Patients without a DMP are counted unknown, closed records closed: none of their lines is stored, even when the record is closed while the batch runs. Lines are kept 24 months after their date of care. At most 500 patients and 5242880 bytes (413 above). The answer holds counts, indexes, paths and reasons only: never an INS, a code or a label.
         *
         *     Callers: the Assurance Maladie’s claims system.
         */
        post: operations["submitClaimBatch"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/claims": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The reimbursed-care history, newest first; every read is traced
         * @description The patient; representatives (without the lines a minor keeps confidential); professionals whose profession may read class 60 in the access matrix, with an authorization or an emergency access the patient did not oppose, and, when the patient masked the history, only attending physicians. Filters: `category`, `from` and `to` (days of care, inclusive). Lines older than 24 months are gone. A page may hold fewer than `limit` lines: follow `nextCursor` until it is null.
         *
         *     Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect).
         */
        get: operations["listClaims"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/claims/visibility": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Mask the whole reimbursement history from professionals (the attending physician excepted), or unmask it
         * @description Callers: the record’s holder (patient session); a legal representative (session).
         */
        put: operations["setClaimsVisibility"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/care-team": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The care team: who prescribed, performed care or deposited documents in the last 12 months; every read is traced
         * @description The professionals (by id) and structures (by FINESS, when a line names no performing professional) named by the history’s lines of the last 12 months and by the documents deposited in them that the caller may read, each with its first and last day, count, roles, and the profession and specialty codes the lines gave. The record’s holders also get the patient’s decision on each professional (authorized, blocked, expired, none) and the attending physician, so as to authorise or block from it. Who may read: as `GET …/claims` (representatives without the lines a minor keeps confidential; professionals under the matrix for class 60, the blocks and the patient’s mask).
         *
         *     Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect).
         */
        get: operations["readCareTeam"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/medication-review": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The medicines dispensed in the last 90 days grouped by substance, and (for professionals) the medication-risk alerts; every read is traced
         * @description Professionals who may read the history (as `GET …/claims`: the matrix for class 60, an authorization or an emergency access, not blocked, the patient’s mask) get the medicines and the alerts the rules of data/medication-alerts.json raise on them, each naming its rule, severity and the lines that raised it. The patient and the representatives (without the lines a minor keeps confidential) get the medicines only, no alerts.
         *
         *     Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect).
         */
        get: operations["readMedicationReview"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/profile": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The health profile: blood group, allergies and intolerances, conditions and history, declared treatments, height and weight; every read is traced
         * @description The patient and the representatives; professionals with an authorization or an emergency access the patient did not oppose, not blocked, whose profession reads summaries (class 11) in the access matrix. Every element (the blood group, the height, the weight, each allergy, condition and treatment) shows who recorded it and when: `source` (`patient`, `representative`, `professional`), `author` (`id`, and `profession` for a professional; a representative’s id is shown to the record’s holders only) and `recordedAt`. The `ETag` header carries the version (`"v<version>"`): a PUT sends it back in `If-Match`. A profile never written answers 200, empty, at version 0 (`ETag: "v0"`), which the first PUT sends.
         *
         *     Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect).
         */
        get: operations["readHealthProfile"];
        /**
         * Write the health profile, on the version read (If-Match); professionals add entries marked as theirs
         * @description The whole profile, content only (no `source`, `author` or `recordedAt`: the server keeps them), on the version a GET gave: `If-Match: "v<version>"` is required (428 without it) and a version that is no longer the current one is refused (412, with the current `ETag`): two writers never overwrite each other. An entry sent with its `id` is the entry recorded under it (422 for an id the list does not hold): unchanged, it keeps who recorded it; changed, it becomes the writer’s. An entry without `id` is new. The patient and the representatives write everything (an element left out is removed). A professional who may read the profile adds entries (no `id`), marked as its own, and changes or removes only the entries it recorded itself: the blood group, the height, the weight and every other entry must come back exactly as they are (403 `not-your-entry`, naming each element at fault). Days (`since`) are neither in the future nor before the birth date (422, naming the field). Blood group: `abo` A, B, AB or O and `rh` + or - (the eight groups); height 20–260 cm, weight 0.2–650 kg; at most 50 entries a list. A closed record is read-only (409 to its holders). Answers the profile written and its new `ETag`.
         *
         *     Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect).
         */
        put: operations["writeHealthProfile"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/wishes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The advance directives (whether they exist, their date, where the original is kept, their document) and the trusted person; every read is traced
         * @description The patient and the representatives; professionals of the professions the access matrix lets read advance directives (its `EXPPAT_3` exception: doctors, midwives, nurses), with an authorization or an emergency access the patient did not oppose, not blocked. `declared: false` when the patient wrote nothing yet.
         *
         *     Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect).
         */
        get: operations["readWishes"];
        /**
         * Write the advance directives and name the trusted person (the patient only, an adult)
         * @description The patient only (a representative or a professional: 403 `patient-only`, `patient-writes`), and an adult: advance directives are written by adults (a minor’s record: 422 `adults-only`). Replaces what was written. Without directives (`exist: false`) no date, place or document is given. `writtenOn` is neither in the future nor before the birth date (422, naming the field). `documentId` names a current document of type `EXPPAT_3` of this record, shown to the patient (422 otherwise). The trusted person’s mobile is of the French numbering plan. A closed record is read-only (409).
         *
         *     Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect).
         */
        put: operations["writeWishes"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/vaccinations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The vaccination record, newest first: recorded vaccinations and the deliveries of the reimbursed-care history; every read is traced
         * @description The patient and representatives; professionals whose profession reads class 45 (vaccination) in the access matrix, with an authorization or an emergency access the patient did not oppose, not blocked. The reimbursed-care history’s vaccination lines count only for callers who may read the history (as `GET …/claims`: the matrix’s class 60, the patient’s mask; representatives without the lines a minor keeps confidential): `claimsIncluded` says whether they did. A history line is flagged `dateKind: delivery` (its date is the delivery’s) and left out when a recorded vaccination stands for it: the same vaccine (CIP13, or ATC valence) recorded on the delivery day or up to 90 days after it, each line and entry matched once. Follow `nextCursor` until it is null.
         *
         *     Callers: health professionals (Pro Santé Connect); the record’s holder (patient session); a legal representative (session).
         */
        get: operations["listVaccinations"];
        put?: never;
        /**
         * Record a vaccination: by the professional who vaccinated (no authorization needed), or declared by the patient or a representative
         * @description A professional is refused only when blocked; it is the vaccinator (from its token: `vaccinator` is refused) and gives the lot number. The date is not in the future nor before the birth date; `nextBoosterDate` comes after it; the vaccine is coded by CIP13 or ATC valence (data/claims-codes.json), with `atcValence` beside a CIP13 so that the calendar’s boosters recognise it. A fault is a 400 or 422 naming its field, and nothing is stored. Idempotent with `Idempotency-Key`. Puts the record on the reminders’ queue.
         *
         *     Callers: health professionals (Pro Santé Connect); the record’s holder (patient session); a legal representative (session).
         */
        post: operations["recordVaccination"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/vaccinations/due": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * What is due: the boosters vaccinators gave, and the calendar’s fixed-age boosters computed from the birth date; every read is traced
         * @description The patient and representatives; professionals whose profession reads class 45 (vaccination) in the access matrix, with an authorization or an emergency access the patient did not oppose, not blocked. The reimbursed-care history’s vaccination lines count only for callers who may read the history (as `GET …/claims`: the matrix’s class 60, the patient’s mask; representatives without the lines a minor keeps confidential): `claimsIncluded` says whether they did. Explicit booster dates are due until a later dose of the same vaccine; the calendar (data/vaccination-calendar.json) gives diphtheria-tetanus-poliomyelitis at fixed ages (a dose within the tolerance satisfies it) and influenza each season from 65, and yields to an explicit booster of the same vaccines. An SMS reminder is sent 30 to 36 days before a due date, once, unless the holders turned `vaccinationReminders` off in the settings.
         *
         *     Callers: health professionals (Pro Santé Connect); the record’s holder (patient session); a legal representative (session).
         */
        get: operations["readDueVaccinations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/devices": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The devices paired with the record, revoked ones included (never their credentials); traced
         * @description Callers: the record’s holder (patient session); a legal representative (session).
         */
        get: operations["listDevices"];
        put?: never;
        /**
         * Pair a connected device or app with the record: its credential, shown once
         * @description The record’s holders, while the record is active. The answer holds the device’s credential, shown this once (only its SHA-256 is kept): the device writes measurements to this record with it, and nothing else; `DELETE …/devices/{deviceId}` revokes it. A device authenticates with the credential its pairing answered, as a bearer token: `Authorization: Bearer dmpdev_<dmpId>.<deviceId>.<secret>`. It writes measurements to its own record and does nothing else (403 on any other route, 403 `device-not-for-this-record` on another record); once revoked, or unknown, it is refused (401); on a closed record it writes nothing (409). At most 20 devices not revoked per record. Traced.
         *
         *     Callers: the record’s holder (patient session); a legal representative (session).
         */
        post: operations["pairDevice"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/devices/{deviceId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke a device: its credential authenticates nobody from the next request on
         * @description The record’s holders, even once the record is closed. Its measurements stay. Revoking a revoked device again answers the same. Traced.
         *
         *     Callers: the record’s holder (patient session); a legal representative (session).
         */
        delete: operations["revokeDevice"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/measurements": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A series of measurements, newest first; every read is traced
         * @description The record’s holders; professionals whose profession may read class 90 (patient data) in the access matrix, with an authorization or an emergency access the patient did not oppose, and not blocked. `code`: one code’s series; `from` and `to`: instants or days (both included). Follow `nextCursor` until it is null.
         *
         *     Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect).
         */
        get: operations["listMeasurements"];
        put?: never;
        /**
         * Record a batch of up to 100 measurements: from a paired device, or the patient
         * @description A device paired with the record, or the record’s holders, while the record is active. A device authenticates with the credential its pairing answered, as a bearer token: `Authorization: Bearer dmpdev_<dmpId>.<deviceId>.<secret>`. It writes measurements to its own record and does nothing else (403 on any other route, 403 `device-not-for-this-record` on another record); once revoked, or unknown, it is refused (401); on a closed record it writes nothing (409). Each measurement is checked before anything is stored: a faulty one is a 422 listing each field at fault by its path (`measurements[3].value`) and reason, and nothing of the batch is stored. Unknown fields of a measurement are faults too. A measurement sent again (the same device, or the holders’ own entry, the same code and instant) is stored once: the answer counts it duplicate. Each measurement keeps its source (device or holder) and author. Traced (one trace per request).
         *
         *     Callers: paired measuring devices; the record’s holder (patient session); a legal representative (session).
         */
        post: operations["recordMeasurements"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/emergency-summary": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * What a SAMU regulator or an emergency doctor needs, in one answer; every read is traced with its mode
         * @description The record’s holders, and professionals with access: a valid authorization, or an emergency access (break-glass, or regulation for a SAMU Centre 15 regulator) the patient did not oppose, declared first with POST …/access (which tells the patient). Each part is filtered by the access policy as its own read would be, and a part the caller may not read is named in `withheld` (it says nothing of whether the part holds anything): the health profile (blood group, allergies, conditions, declared treatments), the medicines dispensed in the last 90 days (the reimbursement history: class 60 in the matrix, the patient’s mask of it), the advance directives and the trusted person (the professions of the EXPPAT_3 exception), the vaccinations, and the metadata of the latest medical summary (60591-5) and of the latest hospital discharge letter or emergency liaison document (11490-0, 74207-2) the caller may read, with their document ids. One request reads each part once, side by side (no read per entry), and opens them with the record’s key (no KMS call when it is cached).
         *
         *     Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect).
         */
        get: operations["readEmergencySummary"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/fhir/AllergyIntolerance": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * FHIR AllergyIntolerance: the health profile’s allergies and intolerances; every read is traced as a read of the profile
         * @description The record’s holders; professionals who may read the health profile (GET …/profile: an authorization or an emergency access the patient did not oppose, not blocked, a profession reading class 11). A searchset Bundle; `_count` entries a page (1 to 100, 50 by default) and a `next` link while more follow. Unknown parameters are refused (400), as `handling=strict`.
         *
         *     Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect).
         */
        get: operations["searchAllergyIntolerance"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/fhir/Condition": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * FHIR Condition: the health profile’s conditions and history; every read is traced as a read of the profile
         * @description The record’s holders; professionals who may read the health profile (GET …/profile: an authorization or an emergency access the patient did not oppose, not blocked, a profession reading class 11). A searchset Bundle; `_count` entries a page (1 to 100, 50 by default) and a `next` link while more follow. Unknown parameters are refused (400), as `handling=strict`.
         *
         *     Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect).
         */
        get: operations["searchCondition"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/fhir/Immunization": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * FHIR Immunization: recorded vaccinations and the reimbursement history’s deliveries, newest first; traced as a read of the vaccination record
         * @description The record’s holders; professionals who may read the vaccination record (GET …/vaccinations: class 45). The reimbursement history’s deliveries count only for callers who may read the history (class 60, the patient’s mask). A delivery is not a primary source and its date is the delivery’s. A searchset Bundle; `_count` entries a page (1 to 100, 50 by default) and a `next` link while more follow. Unknown parameters are refused (400), as `handling=strict`.
         *
         *     Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect).
         */
        get: operations["searchImmunization"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/fhir/ImmunizationRecommendation": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * FHIR ImmunizationRecommendation: what is due (boosters given by vaccinators, the calendar’s), one a due item; traced as GET …/vaccinations/due
         * @description The record’s holders; professionals who may read the vaccination record (GET …/vaccinations: class 45). The reimbursement history’s deliveries count only for callers who may read the history (class 60, the patient’s mask). An upcoming item is `due` on its due date (dateCriterion 30980-7, its window 30981-5 to 59777-3). A searchset Bundle; `_count` entries a page (1 to 100, 50 by default) and a `next` link while more follow. Unknown parameters are refused (400), as `handling=strict`.
         *
         *     Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect).
         */
        get: operations["searchImmunizationRecommendation"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/fhir/Observation": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * FHIR Observation: the measurements (LOINC codes, UCUM units; blood pressure with its components), newest first; traced as a read of the measurements
         * @description The record’s holders; professionals who may read the measurements (GET …/measurements: class 90). `code`: one LOINC code’s series; `date`: one day or instant, or a bound (`ge`, `gt`, `le`, `lt`); `_content` and `_text` (the same; both given, every word of both): words of the measurement’s name or code, as the record’s keyword search finds them (traced as one too), combined with `code` and `date`; a parameter is given once. A searchset Bundle; `_count` entries a page (1 to 100, 50 by default) and a `next` link while more follow. Unknown parameters are refused (400), as `handling=strict`.
         *
         *     Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect).
         */
        get: operations["searchObservation"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/fhir/Consent": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * FHIR Consent: the advance directives (scope adr), when the patient wrote some; traced as a read of the wishes
         * @description The record’s holders; professionals of the professions that may read advance directives (GET …/wishes: the EXPPAT_3 exception, doctors, midwives, nurses). Directives the patient says do not exist make no Consent. A searchset Bundle; `_count` entries a page (1 to 100, 50 by default) and a `next` link while more follow. Unknown parameters are refused (400), as `handling=strict`.
         *
         *     Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect).
         */
        get: operations["searchConsent"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/fhir/AuditEvent": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * FHIR AuditEvent: the access log, refusals included, newest first
         * @description As GET …/access-log: all of it for the record’s holders and attending physicians, their own actions for anyone else; a refusal is outcome 4 with its code. A searchset Bundle; `_count` entries a page (1 to 100, 50 by default) and a `next` link while more follow. Unknown parameters are refused (400), as `handling=strict`.
         *
         *     Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect); Assurance Maladie agents.
         */
        get: operations["searchAuditEvent"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/fhir/MedicationDispense": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * FHIR MedicationDispense: the medicines of the reimbursement history, newest first; traced as a read of the history
         * @description As GET …/claims (its medication lines): The record’s holders; professionals whose profession reads class 60, unless the patient masked the history; representatives without the lines a minor keeps confidential. A searchset Bundle; `_count` entries a page (1 to 100, 50 by default) and a `next` link while more follow. Unknown parameters are refused (400), as `handling=strict`.
         *
         *     Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect).
         */
        get: operations["searchMedicationDispense"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/records/{dmpId}/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Keyword search across the whole record (documents with their text, the reimbursement history, the health profile, vaccinations, measurements); every search is traced
         * @description Items holding every word of `q` (at most 8 distinct words), newest first; with a "quoted phrase", the items where its words stand side by side come first. Each item is shown only if its own read would show it to the caller, weighed on the item as it is now: a document under the matrix, the patient’s mask and its visibility labels (current and archived documents, no superseded version, nothing deleted); the history’s lines under its policy (the matrix for class 60, the patient’s mask; a representative not the lines a minor keeps confidential); the profile, vaccinations and measurements under their rows of the matrix. What the caller may not see is left out without a trace in the answer: there is no total. A page may hold fewer than `limit` items: follow `nextCursor` until it is null. The words are matched against blind per-record tokens: the server keeps no word in clear.
         *
         *     Callers: the record’s holder (patient session); a legal representative (session); health professionals (Pro Santé Connect).
         */
        get: operations["searchKeywords"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/pharmacies/{finess}/creations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The DMPs a pharmacy created in a month, and what it is owed (1 € each)
         * @description Callers: health professionals (Pro Santé Connect); Assurance Maladie agents.
         */
        get: operations["pharmacyCreations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/stats/creations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * DMP creations between two days, by channel and ISO week
         * @description Callers: Assurance Maladie agents.
         */
        get: operations["creationStats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/fhir/metadata": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * FHIR R4 CapabilityStatement: exactly the resources, interactions and search parameters served under /fhir
         * @description Callers: anyone, without a token; health professionals (Pro Santé Connect); the record’s holder (patient session); a legal representative (session).
         */
        get: operations["fhirMetadata"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/fhir/Patient/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * FHIR Patient read: the record’s identity (id: the record’s dmpId, `_` written `.`); traced as a record read
         * @description Callers: health professionals (Pro Santé Connect); the record’s holder (patient session); a legal representative (session).
         */
        get: operations["fhirReadPatient"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/fhir/Patient/{id}/$everything": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * FHIR Patient/$everything: every resource of the record the caller may see, as a paged searchset Bundle (_count, _offset)
         * @description The Patient, then the documents (DocumentReference, newest first; their content as Binary/{id}), then the health data; only the resource types the token’s SMART scopes cover for reading. Each page is read anew: follow the `next` link.
         *
         *     Callers: health professionals (Pro Santé Connect); the record’s holder (patient session); a legal representative (session).
         */
        get: operations["fhirPatientEverything"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/fhir/DocumentReference": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * FHIR DocumentReference search (MHD ITI-67): the documents of one record the caller may see, newest first
         * @description `patient` (required), `status` (current, the default, or superseded), `type` ([system|]code), `date` (ge<day>: deposited on or after), `_content` (words of the documents’ titles and text) and `_text` (the same: a DocumentReference’s narrative is its document; both given, every word of both), `_count` (1-100), `_cursor` (from the `next` link). Any other parameter is refused (400). With `_content` or `_text`: the record’s keyword search (traced as one), newest first; `type`, `date` and `status=current` filter what it finds, `status=superseded` is refused (400), and a page may hold fewer than `_count` documents: follow the `next` link.
         *
         *     Callers: health professionals (Pro Santé Connect); the record’s holder (patient session); a legal representative (session).
         */
        get: operations["fhirSearchDocumentReference"];
        put?: never;
        /**
         * FHIR DocumentReference create: deposit a document (its content base64 in content[0].attachment.data), as POST /v1/records/{dmpId}/documents
         * @description subject: the record’s Patient; type: the document type (LOINC, or urn:dmp:document-type); description: the title; context.period.start: the day of care; relatesTo replaces: a new version; labels in meta.security or securityLabel (system urn:dmp:document-label: masked-to-professionals, invisible-to-patient, invisible-to-representatives). Idempotency-Key as on /v1.
         *
         *     Callers: health professionals (Pro Santé Connect); the record’s holder (patient session); a legal representative (session).
         */
        post: operations["fhirCreateDocumentReference"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/fhir/DocumentReference/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * FHIR DocumentReference read: a document’s metadata, its content at Binary/{id}; traced as a document read
         * @description Callers: health professionals (Pro Santé Connect); the record’s holder (patient session); a legal representative (session).
         */
        get: operations["fhirReadDocumentReference"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/fhir/Binary/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * FHIR Binary read (MHD ITI-68): a document’s content (base64 `data`); traced as a document read
         * @description Callers: health professionals (Pro Santé Connect); the record’s holder (patient session); a legal representative (session).
         */
        get: operations["fhirReadBinary"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/fhir/{type}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Any other FHIR search: 404 (resource type not served) or 405 (interaction not served), as an OperationOutcome
         * @description Callers: Assurance Maladie agents; health professionals (Pro Santé Connect); the record’s holder (patient session); a legal representative (session).
         */
        get: operations["fhirUnsupportedType"];
        put?: never;
        /**
         * Any other FHIR create: 404 (resource type not served) or 405 (interaction not served), as an OperationOutcome
         * @description Callers: Assurance Maladie agents; health professionals (Pro Santé Connect); the record’s holder (patient session); a legal representative (session).
         */
        post: operations["fhirUnsupportedCreate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/fhir/{type}/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Any other FHIR read: 404 (resource type not served) or 405 (interaction not served), as an OperationOutcome
         * @description Callers: Assurance Maladie agents; health professionals (Pro Santé Connect); the record’s holder (patient session); a legal representative (session).
         */
        get: operations["fhirUnsupportedRead"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * This API as an OpenAPI 3.1 document
         * @description Callers: anyone, without a token.
         */
        get: operations["openapi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/docs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A readable reference of this API
         * @description The OpenAPI document rendered in the browser (Scalar), by a script this API serves itself (GET /docs/scalar.js).
         *
         *     Callers: anyone, without a token.
         */
        get: operations["docs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/docs/scalar.js": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The script of the reference page
         * @description Scalar’s API reference (@scalar/api-reference, MIT), bundled with this API, and the call that mounts it on the page of GET /docs.
         *
         *     Callers: anyone, without a token.
         */
        get: operations["docsScript"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description RFC 9457 problem document (application/problem+json) */
        Problem: {
            type: string;
            title: string;
            status: number;
            detail?: string;
            instance?: string;
            errors?: {
                path: string;
                message: string;
            }[];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    createRecord: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Any value the client chooses for this request: a retry with the same key answers as the first call did, without doing it again
                 * @example c2f1e7a0-3b9d-4c55-9d1e-7f6a2b8c4d10
                 */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "ins": "285037501234537",
                 *       "identity": {
                 *         "familyName": "Martin",
                 *         "givenNames": "Jeanne Marie",
                 *         "birthDate": "1975-03-14",
                 *         "sex": "F"
                 *       },
                 *       "contact": {
                 *         "mobile": "+33612345678",
                 *         "email": "jeanne.martin@example.fr"
                 *       },
                 *       "consent": {
                 *         "expressConsent": true,
                 *         "informedAt": "2026-03-14T09:30:00Z"
                 *       },
                 *       "emergencyAccess": {
                 *         "breakGlass": true,
                 *         "regulation": true
                 *       },
                 *       "representatives": [
                 *         {
                 *           "familyName": "Martin",
                 *           "givenNames": "Jeanne Marie",
                 *           "relationship": "MTH",
                 *           "mobile": "+33612345678"
                 *         }
                 *       ],
                 *       "creationCode": "K7Q2M9X4T1P8W3Z6",
                 *       "password": "Correct-Cheval-Batterie-7"
                 *     }
                 */
                "application/json": {
                    /** @description INS: NIR (13 characters) + key (2 digits). Only in request bodies, never in a URL. */
                    ins: string;
                    identity: {
                        familyName: string;
                        givenNames: string;
                        /**
                         * Format: date
                         * @description A day from 1900-01-01 to today
                         */
                        birthDate: string;
                        /** @enum {string} */
                        sex: "F" | "M" | "U";
                    };
                    contact?: {
                        mobile?: string;
                        /** Format: email */
                        email?: string;
                    };
                    consent: {
                        expressConsent: boolean;
                        /** Format: date-time */
                        informedAt?: string;
                    };
                    emergencyAccess?: {
                        breakGlass?: boolean;
                        regulation?: boolean;
                    };
                    representatives?: {
                        familyName: string;
                        givenNames: string;
                        /**
                         * @description HL7 RoleCode of the legal representative: mother, father, parent, guardian, grandparent, step-parent, family member
                         * @enum {string}
                         */
                        relationship: "MTH" | "FTH" | "PRN" | "GRD" | "GRPRN" | "STPPRN" | "FAMMEMB";
                        mobile?: string;
                    }[];
                    creationCode?: string;
                    password?: string;
                };
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "dmpId": "Kq3v9xT2mB7wLp4z",
                     *       "status": "active",
                     *       "channel": "pharmacy",
                     *       "createdAt": "2026-03-14T09:30:00Z",
                     *       "credentials": {
                     *         "loginId": "28503750123",
                     *         "provisionalPassword": "Kx7-Rq2-Mv9-Tz4"
                     *       },
                     *       "representatives": [
                     *         {
                     *           "loginId": "28503750123",
                     *           "provisionalPassword": "Kx7-Rq2-Mv9-Tz4"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @description Opaque record id */
                        dmpId: string;
                        /** @constant */
                        status: "active";
                        /** @enum {string} */
                        channel: "pharmacy" | "professional" | "agent" | "online";
                        /** Format: date-time */
                        createdAt: string;
                        credentials?: {
                            loginId: string;
                            provisionalPassword: string;
                        } | {
                            loginId: string;
                        };
                        representatives?: {
                            loginId: string;
                            provisionalPassword: string;
                        }[];
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description State conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:conflict",
                     *       "title": "Conflict with the current state",
                     *       "status": 409,
                     *       "detail": "State conflict.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Well-formed but refused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:refused",
                     *       "title": "The request was understood but refused",
                     *       "status": 422,
                     *       "detail": "Well-formed but refused.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createCreationCode: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "ins": "285037501234537"
                 *     }
                 */
                "application/json": {
                    /** @description INS: NIR (13 characters) + key (2 digits). Only in request bodies, never in a URL. */
                    ins: string;
                };
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "creationCode": "K7Q2M9X4T1P8W3Z6",
                     *       "expiresAt": "2026-03-14T09:30:00Z"
                     *     }
                     */
                    "application/json": {
                        creationCode: string;
                        /** Format: date-time */
                        expiresAt: string;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    searchRecord: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "ins": "285037501234537"
                 *     }
                 */
                "application/json": {
                    /** @description INS: NIR (13 characters) + key (2 digits). Only in request bodies, never in a URL. */
                    ins: string;
                };
            };
        };
        responses: {
            /** @description Found */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "dmpId": "Kq3v9xT2mB7wLp4z",
                     *       "status": "active",
                     *       "closedAt": "2026-03-14T09:30:00Z",
                     *       "authorization": "VALIDE",
                     *       "attendingPhysician": true
                     *     }
                     */
                    "application/json": {
                        /** @description Opaque record id */
                        dmpId: string;
                        /** @enum {string} */
                        status: "active" | "closed";
                        /** Format: date-time */
                        closedAt?: string;
                        /** @enum {string} */
                        authorization: "VALIDE" | "NON_EXISTE" | "INTERDIT" | "EXPIRE";
                        attendingPhysician: boolean;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getRecord: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The record */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "dmpId": "Kq3v9xT2mB7wLp4z",
                     *       "status": "active",
                     *       "channel": "pharmacy",
                     *       "createdAt": "2026-03-14T09:30:00Z",
                     *       "closedAt": "2026-03-14T09:30:00Z",
                     *       "identity": {
                     *         "familyName": "Martin",
                     *         "givenNames": "Jeanne Marie",
                     *         "birthDate": "1975-03-14",
                     *         "sex": "F"
                     *       },
                     *       "contact": {
                     *         "mobile": "+33612345678",
                     *         "email": "jeanne.martin@example.fr"
                     *       },
                     *       "emergencyAccess": {
                     *         "breakGlass": true,
                     *         "regulation": true
                     *       },
                     *       "attendingPhysicians": [
                     *         {
                     *           "professionalId": "810001234567"
                     *         }
                     *       ],
                     *       "representatives": [
                     *         {
                     *           "familyName": "Martin",
                     *           "givenNames": "Jeanne Marie",
                     *           "relationship": "MTH",
                     *           "mobile": "+33612345678"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @description Opaque record id */
                        dmpId: string;
                        /** @enum {string} */
                        status: "active" | "closed";
                        /** @enum {string} */
                        channel: "pharmacy" | "professional" | "agent" | "online";
                        /** Format: date-time */
                        createdAt: string;
                        /** Format: date-time */
                        closedAt?: string;
                        identity: {
                            familyName: string;
                            givenNames: string;
                            /**
                             * Format: date
                             * @description A day from 1900-01-01 to today
                             */
                            birthDate: string;
                            /** @enum {string} */
                            sex: "F" | "M" | "U";
                        };
                        contact: {
                            mobile?: string;
                            /** Format: email */
                            email?: string;
                        };
                        emergencyAccess: {
                            breakGlass: boolean;
                            regulation: boolean;
                        };
                        attendingPhysicians: {
                            professionalId: string;
                        }[];
                        representatives: {
                            familyName: string;
                            givenNames: string;
                            /**
                             * @description HL7 RoleCode of the legal representative: mother, father, parent, guardian, grandparent, step-parent, family member
                             * @enum {string}
                             */
                            relationship: "MTH" | "FTH" | "PRN" | "GRD" | "GRPRN" | "STPPRN" | "FAMMEMB";
                            mobile?: string;
                        }[];
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    closeRecord: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                /**
                 * @example {
                 *       "reason": "Demande de la personne"
                 *     }
                 */
                "application/json": {
                    reason?: string;
                };
            };
        };
        responses: {
            /** @description Closed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "closed",
                     *       "closedAt": "2026-03-14T09:30:00Z",
                     *       "retainUntil": "2026-03-14T09:30:00Z"
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        status: "closed";
                        /** Format: date-time */
                        closedAt: string;
                        /** Format: date-time */
                        retainUntil: string;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description State conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:conflict",
                     *       "title": "Conflict with the current state",
                     *       "status": 409,
                     *       "detail": "State conflict.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    reactivateRecord: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                /**
                 * @example {
                 *       "consent": {
                 *         "expressConsent": true,
                 *         "informedAt": "2026-03-14T09:30:00Z"
                 *       }
                 *     }
                 */
                "application/json": {
                    consent?: {
                        expressConsent: boolean;
                        /** Format: date-time */
                        informedAt?: string;
                    };
                };
            };
        };
        responses: {
            /** @description Active again */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "active"
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        status: "active";
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description State conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:conflict",
                     *       "title": "Conflict with the current state",
                     *       "status": 409,
                     *       "detail": "State conflict.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Well-formed but refused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:refused",
                     *       "title": "The request was understood but refused",
                     *       "status": 422,
                     *       "detail": "Well-formed but refused.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    updateSettings: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "emergencyAccess": {
                 *         "breakGlass": true,
                 *         "regulation": true
                 *       },
                 *       "contact": {
                 *         "mobile": "+33612345678",
                 *         "email": "jeanne.martin@example.fr"
                 *       },
                 *       "vaccinationReminders": true
                 *     }
                 */
                "application/json": {
                    emergencyAccess?: {
                        breakGlass?: boolean;
                        regulation?: boolean;
                    };
                    contact?: {
                        mobile?: string;
                        /** Format: email */
                        email?: string;
                    };
                    /** @description SMS reminders of the vaccinations due (on by default) */
                    vaccinationReminders?: boolean;
                };
            };
        };
        responses: {
            /** @description The settings now */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "emergencyAccess": {
                     *         "breakGlass": true,
                     *         "regulation": true
                     *       },
                     *       "contact": {
                     *         "mobile": "+33612345678",
                     *         "email": "jeanne.martin@example.fr"
                     *       },
                     *       "vaccinationReminders": true,
                     *       "pendingMobile": {
                     *         "expiresAt": "2026-03-14T09:30:00Z"
                     *       }
                     *     }
                     */
                    "application/json": {
                        emergencyAccess: {
                            breakGlass: boolean;
                            regulation: boolean;
                        };
                        contact: {
                            mobile?: string;
                            /** Format: email */
                            email?: string;
                        };
                        vaccinationReminders: boolean;
                        /** @description A new mobile waits for the code sent to it (see mobile-confirmation). */
                        pendingMobile?: {
                            /** Format: date-time */
                            expiresAt: string;
                        };
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description State conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:conflict",
                     *       "title": "Conflict with the current state",
                     *       "status": 409,
                     *       "detail": "State conflict.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    confirmMobile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "code": "482913"
                 *     }
                 */
                "application/json": {
                    code: string;
                };
            };
        };
        responses: {
            /** @description The settings now */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "emergencyAccess": {
                     *         "breakGlass": true,
                     *         "regulation": true
                     *       },
                     *       "contact": {
                     *         "mobile": "+33612345678",
                     *         "email": "jeanne.martin@example.fr"
                     *       },
                     *       "vaccinationReminders": true,
                     *       "pendingMobile": {
                     *         "expiresAt": "2026-03-14T09:30:00Z"
                     *       }
                     *     }
                     */
                    "application/json": {
                        emergencyAccess: {
                            breakGlass: boolean;
                            regulation: boolean;
                        };
                        contact: {
                            mobile?: string;
                            /** Format: email */
                            email?: string;
                        };
                        vaccinationReminders: boolean;
                        /** @description A new mobile waits for the code sent to it (see mobile-confirmation). */
                        pendingMobile?: {
                            /** Format: date-time */
                            expiresAt: string;
                        };
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description State conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:conflict",
                     *       "title": "Conflict with the current state",
                     *       "status": 409,
                     *       "detail": "State conflict.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Well-formed but refused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:refused",
                     *       "title": "The request was understood but refused",
                     *       "status": 422,
                     *       "detail": "Well-formed but refused.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listNotifications: {
        parameters: {
            query?: {
                /** @example 20 */
                limit?: string;
                /** @example eyJrIjoiMDFqZGszbTh2NiJ9 */
                cursor?: string;
            };
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Notifications, newest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "810001234567",
                     *           "at": "2026-03-14T09:30:00Z",
                     *           "channel": "sms",
                     *           "reason": "Demande de la personne",
                     *           "status": "pending",
                     *           "sentAt": "2026-03-14T09:30:00Z"
                     *         }
                     *       ],
                     *       "nextCursor": "eyJrIjoiMDFqZGszbTh2NiJ9"
                     *     }
                     */
                    "application/json": {
                        items: {
                            id: string;
                            /** Format: date-time */
                            at: string;
                            /** @constant */
                            channel: "sms";
                            reason: string;
                            /** @enum {string} */
                            status: "pending" | "sent" | "failed" | "dropped";
                            /** Format: date-time */
                            sentAt?: string;
                        }[];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    patientLogin: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "loginId": "28503750123",
                 *       "password": "Correct-Cheval-Batterie-7"
                 *     }
                 */
                "application/json": {
                    loginId: string;
                    password: string;
                };
            };
        };
        responses: {
            /** @description Code sent */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "challengeId": "c9Yt4kWq2ZbN7xRe",
                     *       "expiresAt": "2026-03-14T09:30:00Z"
                     *     }
                     */
                    "application/json": {
                        challengeId: string;
                        /** Format: date-time */
                        expiresAt: string;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Well-formed but refused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:refused",
                     *       "title": "The request was understood but refused",
                     *       "status": 422,
                     *       "detail": "Well-formed but refused.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    patientVerify: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "challengeId": "c9Yt4kWq2ZbN7xRe",
                 *       "code": "482913"
                 *     }
                 */
                "application/json": {
                    challengeId: string;
                    code: string;
                };
            };
        };
        responses: {
            /** @description Session */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "accessToken": "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJLcTN2OXhUMm1CN3dMcDR6In0.c2lnbmF0dXJl",
                     *       "tokenType": "Bearer",
                     *       "expiresIn": 1,
                     *       "mustChangePassword": true
                     *     }
                     */
                    "application/json": {
                        accessToken: string;
                        /** @constant */
                        tokenType: "Bearer";
                        expiresIn: number;
                        mustChangePassword: boolean;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    patientPassword: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "currentPassword": "Correct-Cheval-Batterie-7",
                 *       "newPassword": "Agrafe-Horizon-Lanterne-4"
                 *     }
                 */
                "application/json": {
                    currentPassword: string;
                    newPassword: string;
                };
            };
        };
        responses: {
            /** @description Changed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Well-formed but refused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:refused",
                     *       "title": "The request was understood but refused",
                     *       "status": 422,
                     *       "detail": "Well-formed but refused.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    reissueCredentials: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "identityChecked": true
                 *     }
                 */
                "application/json": {
                    /**
                     * @description The agent checked the person’s identity document at the desk.
                     * @constant
                     */
                    identityChecked: true;
                };
            };
        };
        responses: {
            /** @description New provisional credentials, to hand over on paper */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "loginId": "28503750123",
                     *       "provisionalPassword": "Kx7-Rq2-Mv9-Tz4"
                     *     }
                     */
                    "application/json": {
                        loginId: string;
                        provisionalPassword: string;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description State conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:conflict",
                     *       "title": "Conflict with the current state",
                     *       "status": 409,
                     *       "detail": "State conflict.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listDocuments: {
        parameters: {
            query?: {
                /** @example current */
                status?: "current" | "archived" | "all";
                /** @example 11488-4 */
                typeCode?: string;
                /** @example compte rendu */
                q?: string;
                /** @example 2026-03-14 */
                since?: string;
                /** @example 20 */
                limit?: string;
                /** @example eyJrIjoiMDFqZGszbTh2NiJ9 */
                cursor?: string;
            };
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Documents */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "documentId": "01jdk3m8v6w9qz2x4y7b5c8n0",
                     *           "version": 1,
                     *           "typeCode": "11488-4",
                     *           "classCode": "11",
                     *           "title": "Compte rendu de consultation",
                     *           "serviceDate": "2026-03-14",
                     *           "depositedAt": "2026-03-14T09:30:00Z",
                     *           "author": {
                     *             "kind": "professional",
                     *             "id": "810001234567",
                     *             "profession": "Médecin"
                     *           },
                     *           "status": "current",
                     *           "visibility": {
                     *             "maskedToProfessionals": true,
                     *             "invisibleToPatient": true,
                     *             "invisibleToRepresentatives": true
                     *           },
                     *           "size": 1,
                     *           "contentType": "application/pdf",
                     *           "replaces": "01jdk2r7s5t8v1w3x6y9z0a2b"
                     *         }
                     *       ],
                     *       "nextCursor": "eyJrIjoiMDFqZGszbTh2NiJ9"
                     *     }
                     */
                    "application/json": {
                        items: {
                            /** @description Opaque document id */
                            documentId: string;
                            version: number;
                            typeCode: string;
                            classCode: string;
                            title: string;
                            /** Format: date */
                            serviceDate: string;
                            /** Format: date-time */
                            depositedAt: string;
                            author: {
                                /** @enum {string} */
                                kind: "professional" | "patient" | "representative";
                                id: string;
                                profession?: string;
                            };
                            /** @enum {string} */
                            status: "current" | "archived" | "superseded";
                            visibility: {
                                maskedToProfessionals: boolean;
                                invisibleToPatient: boolean;
                                invisibleToRepresentatives: boolean;
                            };
                            size: number;
                            contentType: string;
                            /** @description Opaque document id */
                            replaces?: string;
                        }[];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    depositDocument: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Any value the client chooses for this request: a retry with the same key answers as the first call did, without doing it again
                 * @example c2f1e7a0-3b9d-4c55-9d1e-7f6a2b8c4d10
                 */
                "Idempotency-Key"?: string;
            };
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "typeCode": "11488-4",
                 *       "title": "Compte rendu de consultation",
                 *       "serviceDate": "2026-03-14",
                 *       "contentType": "application/pdf",
                 *       "content": "JVBERi0xLjcKJcfsj6IK",
                 *       "uniqueId": "1.2.250.1.213.1.1.9^20260314093000",
                 *       "replaces": "01jdk2r7s5t8v1w3x6y9z0a2b",
                 *       "visibility": {
                 *         "maskedToProfessionals": true,
                 *         "invisibleToPatient": true,
                 *         "invisibleToRepresentatives": true
                 *       }
                 *     }
                 */
                "application/json": {
                    /** @description A type code of data/document-types.json */
                    typeCode: string;
                    title: string;
                    /** Format: date */
                    serviceDate: string;
                    /** @enum {string} */
                    contentType: "application/pdf" | "text/plain" | "text/xml" | "image/jpeg" | "image/tiff" | "application/fhir+json";
                    /** @description The content, base64 (RFC 4648 with padding): at most 4 MiB decoded */
                    content: string;
                    uniqueId?: string;
                    /** @description Opaque document id */
                    replaces?: string;
                    visibility?: {
                        maskedToProfessionals?: boolean;
                        invisibleToPatient?: boolean;
                        invisibleToRepresentatives?: boolean;
                    };
                };
            };
        };
        responses: {
            /** @description Deposited */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "documentId": "01jdk3m8v6w9qz2x4y7b5c8n0",
                     *       "version": 1,
                     *       "status": "current"
                     *     }
                     */
                    "application/json": {
                        /** @description Opaque document id */
                        documentId: string;
                        version: number;
                        /** @constant */
                        status: "current";
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description State conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:conflict",
                     *       "title": "Conflict with the current state",
                     *       "status": 409,
                     *       "detail": "State conflict.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Well-formed but refused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:refused",
                     *       "title": "The request was understood but refused",
                     *       "status": 422,
                     *       "detail": "Well-formed but refused.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    readDocument: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
                /** @example 01jdk3m8v6w9qz2x4y7b5c8n0 */
                documentId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The document */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "documentId": "01jdk3m8v6w9qz2x4y7b5c8n0",
                     *       "version": 1,
                     *       "typeCode": "11488-4",
                     *       "classCode": "11",
                     *       "title": "Compte rendu de consultation",
                     *       "serviceDate": "2026-03-14",
                     *       "depositedAt": "2026-03-14T09:30:00Z",
                     *       "author": {
                     *         "kind": "professional",
                     *         "id": "810001234567",
                     *         "profession": "Médecin"
                     *       },
                     *       "status": "current",
                     *       "visibility": {
                     *         "maskedToProfessionals": true,
                     *         "invisibleToPatient": true,
                     *         "invisibleToRepresentatives": true
                     *       },
                     *       "size": 1,
                     *       "contentType": "application/pdf",
                     *       "replaces": "01jdk2r7s5t8v1w3x6y9z0a2b",
                     *       "content": "JVBERi0xLjcKJcfsj6IK"
                     *     }
                     */
                    "application/json": {
                        /** @description Opaque document id */
                        documentId: string;
                        version: number;
                        typeCode: string;
                        classCode: string;
                        title: string;
                        /** Format: date */
                        serviceDate: string;
                        /** Format: date-time */
                        depositedAt: string;
                        author: {
                            /** @enum {string} */
                            kind: "professional" | "patient" | "representative";
                            id: string;
                            profession?: string;
                        };
                        /** @enum {string} */
                        status: "current" | "archived" | "superseded";
                        visibility: {
                            maskedToProfessionals: boolean;
                            invisibleToPatient: boolean;
                            invisibleToRepresentatives: boolean;
                        };
                        size: number;
                        contentType: string;
                        /** @description Opaque document id */
                        replaces?: string;
                        content: string;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteDocument: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
                /** @example 01jdk3m8v6w9qz2x4y7b5c8n0 */
                documentId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description State conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:conflict",
                     *       "title": "Conflict with the current state",
                     *       "status": 409,
                     *       "detail": "State conflict.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    updateDocument: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
                /** @example 01jdk3m8v6w9qz2x4y7b5c8n0 */
                documentId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "maskedToProfessionals": true,
                 *       "invisibleToPatient": false,
                 *       "visibleToRepresentatives": true,
                 *       "archived": true
                 *     }
                 */
                "application/json": {
                    maskedToProfessionals?: boolean;
                    /** @constant */
                    invisibleToPatient?: false;
                    /** @constant */
                    visibleToRepresentatives?: true;
                    archived?: boolean;
                };
            };
        };
        responses: {
            /** @description The document now */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "documentId": "01jdk3m8v6w9qz2x4y7b5c8n0",
                     *       "version": 1,
                     *       "typeCode": "11488-4",
                     *       "classCode": "11",
                     *       "title": "Compte rendu de consultation",
                     *       "serviceDate": "2026-03-14",
                     *       "depositedAt": "2026-03-14T09:30:00Z",
                     *       "author": {
                     *         "kind": "professional",
                     *         "id": "810001234567",
                     *         "profession": "Médecin"
                     *       },
                     *       "status": "current",
                     *       "visibility": {
                     *         "maskedToProfessionals": true,
                     *         "invisibleToPatient": true,
                     *         "invisibleToRepresentatives": true
                     *       },
                     *       "size": 1,
                     *       "contentType": "application/pdf",
                     *       "replaces": "01jdk2r7s5t8v1w3x6y9z0a2b"
                     *     }
                     */
                    "application/json": {
                        /** @description Opaque document id */
                        documentId: string;
                        version: number;
                        typeCode: string;
                        classCode: string;
                        title: string;
                        /** Format: date */
                        serviceDate: string;
                        /** Format: date-time */
                        depositedAt: string;
                        author: {
                            /** @enum {string} */
                            kind: "professional" | "patient" | "representative";
                            id: string;
                            profession?: string;
                        };
                        /** @enum {string} */
                        status: "current" | "archived" | "superseded";
                        visibility: {
                            maskedToProfessionals: boolean;
                            invisibleToPatient: boolean;
                            invisibleToRepresentatives: boolean;
                        };
                        size: number;
                        contentType: string;
                        /** @description Opaque document id */
                        replaces?: string;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description State conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:conflict",
                     *       "title": "Conflict with the current state",
                     *       "status": 409,
                     *       "detail": "State conflict.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Well-formed but refused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:refused",
                     *       "title": "The request was understood but refused",
                     *       "status": 422,
                     *       "detail": "Well-formed but refused.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listProfessionals: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Professionals */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "professionalId": "810001234567",
                     *           "status": "authorized",
                     *           "attendingPhysician": true,
                     *           "since": "2026-03-14T09:30:00Z",
                     *           "expiresAt": "2026-03-14T09:30:00Z"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        items: {
                            professionalId: string;
                            /** @enum {string} */
                            status: "authorized" | "blocked";
                            attendingPhysician: boolean;
                            /** Format: date-time */
                            since: string;
                            /** Format: date-time */
                            expiresAt?: string;
                        }[];
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    decideProfessional: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
                /** @example 810001234567 */
                professionalId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "status": "authorized",
                 *       "attendingPhysician": true
                 *     }
                 */
                "application/json": {
                    /** @enum {string} */
                    status: "authorized" | "blocked";
                    attendingPhysician?: boolean;
                };
            };
        };
        responses: {
            /** @description The professional’s standing now */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "professionalId": "810001234567",
                     *       "status": "authorized",
                     *       "attendingPhysician": true,
                     *       "since": "2026-03-14T09:30:00Z",
                     *       "expiresAt": "2026-03-14T09:30:00Z"
                     *     }
                     */
                    "application/json": {
                        professionalId: string;
                        /** @enum {string} */
                        status: "authorized" | "blocked";
                        attendingPhysician: boolean;
                        /** Format: date-time */
                        since: string;
                        /** Format: date-time */
                        expiresAt?: string;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description State conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:conflict",
                     *       "title": "Conflict with the current state",
                     *       "status": 409,
                     *       "detail": "State conflict.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Well-formed but refused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:refused",
                     *       "title": "The request was understood but refused",
                     *       "status": 422,
                     *       "detail": "Well-formed but refused.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    removeProfessional: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
                /** @example 810001234567 */
                professionalId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description State conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:conflict",
                     *       "title": "Conflict with the current state",
                     *       "status": 409,
                     *       "detail": "State conflict.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    declareAccess: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "mode": "normal",
                 *       "patientConsent": true,
                 *       "attendingPhysician": true,
                 *       "reason": "Demande de la personne"
                 *     }
                 */
                "application/json": {
                    /** @enum {string} */
                    mode: "normal" | "break-glass" | "regulation";
                    /** @constant */
                    patientConsent?: true;
                    /** @description Accepted for compatibility only. The attending physician is the patient’s choice (PUT /v1/records/{dmpId}/professionals/{professionalId}): `true` is refused (403 attending-physician-is-the-patients-choice), `false` changes nothing. */
                    attendingPhysician?: boolean;
                    reason?: string;
                };
            };
        };
        responses: {
            /** @description Access granted */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "authorization": "VALIDE",
                     *       "mode": "normal",
                     *       "expiresAt": "2026-03-14T09:30:00Z"
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        authorization: "VALIDE";
                        /** @enum {string} */
                        mode: "normal" | "break-glass" | "regulation";
                        /** Format: date-time */
                        expiresAt?: string;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Well-formed but refused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:refused",
                     *       "title": "The request was understood but refused",
                     *       "status": 422,
                     *       "detail": "Well-formed but refused.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    accessLog: {
        parameters: {
            query?: {
                /** @example 20 */
                limit?: string;
                /** @example eyJrIjoiMDFqZGszbTh2NiJ9 */
                cursor?: string;
            };
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Traces, newest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "at": "2026-03-14T09:30:00Z",
                     *           "actor": {
                     *             "kind": "professional",
                     *             "id": "810001234567",
                     *             "profession": "Médecin"
                     *           },
                     *           "action": "document.read",
                     *           "mode": "normal",
                     *           "documentId": "01jdk3m8v6w9qz2x4y7b5c8n0",
                     *           "professionalId": "810001234567",
                     *           "outcome": "allowed",
                     *           "requestId": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *           "reason": "Demande de la personne"
                     *         }
                     *       ],
                     *       "nextCursor": "eyJrIjoiMDFqZGszbTh2NiJ9"
                     *     }
                     */
                    "application/json": {
                        items: {
                            /** Format: date-time */
                            at: string;
                            actor: {
                                /** @enum {string} */
                                kind: "professional" | "agent" | "insurer" | "device" | "patient" | "representative" | "anonymous" | "system";
                                id?: string;
                                profession?: string;
                            };
                            action: string;
                            /** @enum {string} */
                            mode: "normal" | "break-glass" | "regulation";
                            documentId?: string;
                            professionalId?: string;
                            /**
                             * @description Whether the action was done or refused (entries written before refusals were traced: `allowed`).
                             * @enum {string}
                             */
                            outcome: "allowed" | "refused";
                            /** @description The request that did or was refused the action: its X-Request-Id. */
                            requestId?: string;
                            /** @description A refusal’s code (`blocked`, `no-authorization`, `patient-opposed`, `not-found`, …). Refusals are traced for professionals, at most one per professional, action and minute. */
                            reason?: string;
                        }[];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    submitClaimBatch: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "batchId": "cnam-2026-03-14-0001",
                 *       "patients": [
                 *         null
                 *       ]
                 *     }
                 */
                "application/json": {
                    /** @description The sync’s id of the batch: the same id and body answer the same; another body under it is refused (422). */
                    batchId: string;
                    patients: unknown[];
                };
            };
        };
        responses: {
            /** @description What the batch stored, and the lines refused */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "patients": {
                     *         "stored": 1,
                     *         "unknown": 1,
                     *         "closed": 1
                     *       },
                     *       "lines": {
                     *         "accepted": 1,
                     *         "corrected": 1,
                     *         "duplicate": 1,
                     *         "rejected": 1
                     *       },
                     *       "rejected": [
                     *         {
                     *           "patient": 1,
                     *           "line": 1,
                     *           "path": "lines.0.code",
                     *           "reason": "Demande de la personne"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        patients: {
                            stored: number;
                            /** @description No DMP for the INS */
                            unknown: number;
                            closed: number;
                        };
                        lines: {
                            accepted: number;
                            /** @description Of the accepted lines, those whose sourceId was stored at another date: the line now has the date sent last */
                            corrected: number;
                            /** @description Already stored (the same sourceId and date), or sent again later in the batch */
                            duplicate: number;
                            rejected: number;
                        };
                        rejected: {
                            patient: number;
                            /** @description The line’s index; -1 when the patient entry itself is at fault */
                            line: number;
                            /** @description The field at fault, within the line (or the patient entry) */
                            path: string;
                            reason: string;
                        }[];
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Well-formed but refused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:refused",
                     *       "title": "The request was understood but refused",
                     *       "status": 422,
                     *       "detail": "Well-formed but refused.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listClaims: {
        parameters: {
            query?: {
                /** @example medication */
                category?: "medication" | "vaccination" | "device" | "stay" | "act" | "dental" | "imaging" | "lab";
                /** @example 2026-03-14 */
                from?: string;
                /** @example 2026-03-14 */
                to?: string;
                /** @example 20 */
                limit?: string;
                /** @example eyJrIjoiMDFqZGszbTh2NiJ9 */
                cursor?: string;
            };
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Lines of the history */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "lineId": "cnam-2026-03-14-0001-1",
                     *           "category": "medication",
                     *           "date": "2026-03-14",
                     *           "codeSystem": "CIP13",
                     *           "code": "482913",
                     *           "display": "Amoxicilline 500 mg, gélule",
                     *           "atcGroup": "J01CA",
                     *           "atcValence": "J07BB02",
                     *           "activeComponents": [
                     *             "Amoxicilline"
                     *           ],
                     *           "quantity": 1,
                     *           "prescriber": {
                     *             "id": "810001234567",
                     *             "profession": "Médecin",
                     *             "specialty": "Médecine générale"
                     *           },
                     *           "performer": {
                     *             "id": "810001234567",
                     *             "finess": "750712184",
                     *             "name": "Paul Martin"
                     *           },
                     *           "confidential": true
                     *         }
                     *       ],
                     *       "nextCursor": "eyJrIjoiMDFqZGszbTh2NiJ9",
                     *       "maskedToProfessionals": true
                     *     }
                     */
                    "application/json": {
                        items: {
                            /** @description Opaque id of the line in this record */
                            lineId: string;
                            /** @enum {string} */
                            category: "medication" | "vaccination" | "device" | "stay" | "act" | "dental" | "imaging" | "lab";
                            /** Format: date */
                            date: string;
                            codeSystem: string;
                            code: string;
                            display: string;
                            atcGroup?: string;
                            atcValence?: string;
                            activeComponents?: string[];
                            quantity?: number;
                            prescriber?: {
                                id: string;
                                profession: string;
                                specialty?: string;
                            };
                            performer?: {
                                id?: string;
                                finess: string;
                                name?: string;
                            };
                            confidential?: boolean;
                        }[];
                        nextCursor: string | null;
                        /** @description The patient’s mask of the history (shown to the record’s holders only) */
                        maskedToProfessionals?: boolean;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    setClaimsVisibility: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "maskedToProfessionals": true
                 *     }
                 */
                "application/json": {
                    maskedToProfessionals: boolean;
                };
            };
        };
        responses: {
            /** @description The mask now */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "maskedToProfessionals": true
                     *     }
                     */
                    "application/json": {
                        maskedToProfessionals: boolean;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description State conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:conflict",
                     *       "title": "Conflict with the current state",
                     *       "status": 409,
                     *       "detail": "State conflict.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    readCareTeam: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The care team, the latest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "window": {
                     *         "from": "2026-03-14",
                     *         "to": "2026-03-14"
                     *       },
                     *       "items": [
                     *         {
                     *           "kind": "professional",
                     *           "id": "810001234567",
                     *           "firstDate": "2026-03-14",
                     *           "lastDate": "2026-03-14",
                     *           "count": 1,
                     *           "roles": [
                     *             "prescriber"
                     *           ],
                     *           "professions": [
                     *             "Médecin"
                     *           ],
                     *           "specialties": [
                     *             "Médecine générale"
                     *           ],
                     *           "authorization": "authorized",
                     *           "attendingPhysician": true
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @description The days read, both included (UTC) */
                        window: {
                            /** Format: date */
                            from: string;
                            /** Format: date */
                            to: string;
                        };
                        items: ({
                            /** @constant */
                            kind: "professional";
                            id: string;
                            /** Format: date */
                            firstDate: string;
                            /** Format: date */
                            lastDate: string;
                            /** @description Lines and deposits of the window naming it (a line naming it twice counts once) */
                            count: number;
                            roles: ("prescriber" | "performer" | "author")[];
                            /** @description Profession codes (TRE_G15) the lines gave */
                            professions: string[];
                            specialties: string[];
                            /**
                             * @description The patient’s decision on the professional now (shown to the record’s holders only)
                             * @enum {string}
                             */
                            authorization?: "authorized" | "blocked" | "expired" | "none";
                            /** @description Shown to the record’s holders only */
                            attendingPhysician?: boolean;
                        } | {
                            /** @constant */
                            kind: "structure";
                            id: string;
                            /** Format: date */
                            firstDate: string;
                            /** Format: date */
                            lastDate: string;
                            /** @description Lines and deposits of the window naming it (a line naming it twice counts once) */
                            count: number;
                            roles: ("prescriber" | "performer" | "author")[];
                            name?: string;
                        })[];
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    readMedicationReview: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The review */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "window": {
                     *         "from": "2026-03-14",
                     *         "to": "2026-03-14"
                     *       },
                     *       "medicines": [
                     *         {
                     *           "substance": "Pénicilline",
                     *           "groupedBy": "active-component",
                     *           "display": "Amoxicilline 500 mg, gélule",
                     *           "lineIds": [
                     *             "cnam-2026-03-14-0001-1"
                     *           ],
                     *           "firstDispensed": "2026-03-14",
                     *           "lastDispensed": "2026-03-14",
                     *           "quantity": 1,
                     *           "prescriberIds": [
                     *             "810001234567"
                     *           ]
                     *         }
                     *       ],
                     *       "alerts": [
                     *         {
                     *           "ruleId": "same-active-component",
                     *           "title": "Compte rendu de consultation",
                     *           "severity": "high",
                     *           "kind": "document",
                     *           "lineIds": [
                     *             "cnam-2026-03-14-0001-1"
                     *           ],
                     *           "substance": "Pénicilline"
                     *         }
                     *       ],
                     *       "skippedRules": [
                     *         {
                     *           "ruleId": "same-active-component",
                     *           "kind": "document",
                     *           "reason": "Demande de la personne"
                     *         }
                     *       ],
                     *       "rulesVersion": "2026-01"
                     *     }
                     */
                    "application/json": {
                        /** @description The days read, both included (UTC) */
                        window: {
                            /** Format: date */
                            from: string;
                            /** Format: date */
                            to: string;
                        };
                        medicines: {
                            /** @description The active component’s code, or the product code of lines that name no component */
                            substance: string;
                            /** @enum {string} */
                            groupedBy: "active-component" | "product-code";
                            /** @description The product dispensed last */
                            display: string;
                            /** @description The lines of the history that dispensed it, oldest first */
                            lineIds: string[];
                            /** Format: date */
                            firstDispensed: string;
                            /** Format: date */
                            lastDispensed: string;
                            /** @description Boxes dispensed in the window */
                            quantity: number;
                            prescriberIds: string[];
                        }[];
                        /** @description For professionals only: the record’s holders get the medicines, not the alerts */
                        alerts?: {
                            ruleId: string;
                            title: string;
                            /** @enum {string} */
                            severity: "high" | "medium" | "low" | "info";
                            kind: string;
                            /** @description The lines that raised it, oldest first */
                            lineIds: string[];
                            substance?: string;
                        }[];
                        /** @description For professionals only: rules of the data the review could not apply (an age rule without a birth date...) */
                        skippedRules?: {
                            ruleId: string;
                            kind: string;
                            reason: string;
                        }[];
                        /** @description The version of data/medication-alerts.json applied */
                        rulesVersion: string;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    readHealthProfile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The profile, with its version in the ETag header */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "version": 1,
                     *       "updatedAt": "2026-03-14T09:30:00Z",
                     *       "bloodGroup": {
                     *         "abo": "A",
                     *         "rh": "+",
                     *         "source": "patient",
                     *         "author": {
                     *           "id": "810001234567",
                     *           "profession": "Médecin"
                     *         },
                     *         "recordedAt": "2026-03-14T09:30:00Z"
                     *       },
                     *       "height": {
                     *         "cm": 1,
                     *         "source": "patient",
                     *         "author": {
                     *           "id": "810001234567",
                     *           "profession": "Médecin"
                     *         },
                     *         "recordedAt": "2026-03-14T09:30:00Z"
                     *       },
                     *       "weight": {
                     *         "kg": 1,
                     *         "source": "patient",
                     *         "author": {
                     *           "id": "810001234567",
                     *           "profession": "Médecin"
                     *         },
                     *         "recordedAt": "2026-03-14T09:30:00Z"
                     *       },
                     *       "allergies": [
                     *         {
                     *           "id": "mfrggzdfmztwq2lk",
                     *           "substance": "Pénicilline",
                     *           "category": "food",
                     *           "reaction": "Urticaire",
                     *           "criticality": "low",
                     *           "source": "patient",
                     *           "author": {
                     *             "id": "810001234567",
                     *             "profession": "Médecin"
                     *           },
                     *           "recordedAt": "2026-03-14T09:30:00Z"
                     *         }
                     *       ],
                     *       "conditions": [
                     *         {
                     *           "id": "mfrggzdfmztwq2lk",
                     *           "text": "Asthme léger",
                     *           "since": "2026-03-14",
                     *           "source": "patient",
                     *           "author": {
                     *             "id": "810001234567",
                     *             "profession": "Médecin"
                     *           },
                     *           "recordedAt": "2026-03-14T09:30:00Z"
                     *         }
                     *       ],
                     *       "treatments": [
                     *         {
                     *           "id": "mfrggzdfmztwq2lk",
                     *           "medication": "Salbutamol",
                     *           "dosage": "2 bouffées si besoin",
                     *           "since": "2026-03-14",
                     *           "source": "patient",
                     *           "author": {
                     *             "id": "810001234567",
                     *             "profession": "Médecin"
                     *           },
                     *           "recordedAt": "2026-03-14T09:30:00Z"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @description The version (0: never written); the ETag header carries it */
                        version: number;
                        /** Format: date-time */
                        updatedAt?: string;
                        bloodGroup?: {
                            /** @enum {string} */
                            abo: "A" | "B" | "AB" | "O";
                            /** @enum {string} */
                            rh: "+" | "-";
                            /** @enum {string} */
                            source: "patient" | "representative" | "professional";
                            author?: {
                                /** @description The patient’s dmpId, a representative’s login id (shown to the record’s holders only), a professional’s id */
                                id: string;
                                profession?: string;
                            };
                            /** Format: date-time */
                            recordedAt: string;
                        };
                        height?: {
                            cm: number;
                            /** @enum {string} */
                            source: "patient" | "representative" | "professional";
                            author?: {
                                /** @description The patient’s dmpId, a representative’s login id (shown to the record’s holders only), a professional’s id */
                                id: string;
                                profession?: string;
                            };
                            /** Format: date-time */
                            recordedAt: string;
                        };
                        weight?: {
                            kg: number;
                            /** @enum {string} */
                            source: "patient" | "representative" | "professional";
                            author?: {
                                /** @description The patient’s dmpId, a representative’s login id (shown to the record’s holders only), a professional’s id */
                                id: string;
                                profession?: string;
                            };
                            /** Format: date-time */
                            recordedAt: string;
                        };
                        allergies: {
                            /** @description The id of an entry, as a GET gave it */
                            id: string;
                            substance: string;
                            /** @enum {string} */
                            category: "food" | "medication" | "environment" | "other";
                            reaction?: string;
                            /** @enum {string} */
                            criticality: "low" | "high" | "unable-to-assess";
                            /** @enum {string} */
                            source: "patient" | "representative" | "professional";
                            author?: {
                                /** @description The patient’s dmpId, a representative’s login id (shown to the record’s holders only), a professional’s id */
                                id: string;
                                profession?: string;
                            };
                            /** Format: date-time */
                            recordedAt: string;
                        }[];
                        conditions: {
                            /** @description The id of an entry, as a GET gave it */
                            id: string;
                            text: string;
                            /**
                             * Format: date
                             * @description A day, not in the future nor before the birth date
                             */
                            since?: string;
                            /** @enum {string} */
                            source: "patient" | "representative" | "professional";
                            author?: {
                                /** @description The patient’s dmpId, a representative’s login id (shown to the record’s holders only), a professional’s id */
                                id: string;
                                profession?: string;
                            };
                            /** Format: date-time */
                            recordedAt: string;
                        }[];
                        treatments: {
                            /** @description The id of an entry, as a GET gave it */
                            id: string;
                            medication: string;
                            dosage?: string;
                            /**
                             * Format: date
                             * @description A day, not in the future nor before the birth date
                             */
                            since?: string;
                            /** @enum {string} */
                            source: "patient" | "representative" | "professional";
                            author?: {
                                /** @description The patient’s dmpId, a representative’s login id (shown to the record’s holders only), a professional’s id */
                                id: string;
                                profession?: string;
                            };
                            /** Format: date-time */
                            recordedAt: string;
                        }[];
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    writeHealthProfile: {
        parameters: {
            query?: never;
            header: {
                /**
                 * @description The ETag of the version the change is made on (as a GET gave it)
                 * @example "3"
                 */
                "If-Match": string;
            };
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "bloodGroup": {
                 *         "abo": "A",
                 *         "rh": "+"
                 *       },
                 *       "height": {
                 *         "cm": 20
                 *       },
                 *       "weight": {
                 *         "kg": 1
                 *       },
                 *       "allergies": [
                 *         {
                 *           "id": "mfrggzdfmztwq2lk",
                 *           "substance": "Pénicilline",
                 *           "category": "food",
                 *           "reaction": "Urticaire",
                 *           "criticality": "low"
                 *         }
                 *       ],
                 *       "conditions": [
                 *         {
                 *           "id": "mfrggzdfmztwq2lk",
                 *           "text": "Asthme léger",
                 *           "since": "2026-03-14"
                 *         }
                 *       ],
                 *       "treatments": [
                 *         {
                 *           "id": "mfrggzdfmztwq2lk",
                 *           "medication": "Salbutamol",
                 *           "dosage": "2 bouffées si besoin",
                 *           "since": "2026-03-14"
                 *         }
                 *       ]
                 *     }
                 */
                "application/json": {
                    bloodGroup?: {
                        /** @enum {string} */
                        abo: "A" | "B" | "AB" | "O";
                        /** @enum {string} */
                        rh: "+" | "-";
                    };
                    height?: {
                        /** @description Height in centimetres, 20 to 260 */
                        cm: number;
                    };
                    weight?: {
                        /** @description Weight in kilograms, 0.2 to 650 */
                        kg: number;
                    };
                    allergies: {
                        /** @description The id of an entry, as a GET gave it */
                        id?: string;
                        substance: string;
                        /** @enum {string} */
                        category: "food" | "medication" | "environment" | "other";
                        reaction?: string;
                        /** @enum {string} */
                        criticality: "low" | "high" | "unable-to-assess";
                    }[];
                    conditions: {
                        /** @description The id of an entry, as a GET gave it */
                        id?: string;
                        text: string;
                        /**
                         * Format: date
                         * @description A day, not in the future nor before the birth date
                         */
                        since?: string;
                    }[];
                    treatments: {
                        /** @description The id of an entry, as a GET gave it */
                        id?: string;
                        medication: string;
                        dosage?: string;
                        /**
                         * Format: date
                         * @description A day, not in the future nor before the birth date
                         */
                        since?: string;
                    }[];
                };
            };
        };
        responses: {
            /** @description The profile as written, with its new version in the ETag header */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "version": 1,
                     *       "updatedAt": "2026-03-14T09:30:00Z",
                     *       "bloodGroup": {
                     *         "abo": "A",
                     *         "rh": "+",
                     *         "source": "patient",
                     *         "author": {
                     *           "id": "810001234567",
                     *           "profession": "Médecin"
                     *         },
                     *         "recordedAt": "2026-03-14T09:30:00Z"
                     *       },
                     *       "height": {
                     *         "cm": 1,
                     *         "source": "patient",
                     *         "author": {
                     *           "id": "810001234567",
                     *           "profession": "Médecin"
                     *         },
                     *         "recordedAt": "2026-03-14T09:30:00Z"
                     *       },
                     *       "weight": {
                     *         "kg": 1,
                     *         "source": "patient",
                     *         "author": {
                     *           "id": "810001234567",
                     *           "profession": "Médecin"
                     *         },
                     *         "recordedAt": "2026-03-14T09:30:00Z"
                     *       },
                     *       "allergies": [
                     *         {
                     *           "id": "mfrggzdfmztwq2lk",
                     *           "substance": "Pénicilline",
                     *           "category": "food",
                     *           "reaction": "Urticaire",
                     *           "criticality": "low",
                     *           "source": "patient",
                     *           "author": {
                     *             "id": "810001234567",
                     *             "profession": "Médecin"
                     *           },
                     *           "recordedAt": "2026-03-14T09:30:00Z"
                     *         }
                     *       ],
                     *       "conditions": [
                     *         {
                     *           "id": "mfrggzdfmztwq2lk",
                     *           "text": "Asthme léger",
                     *           "since": "2026-03-14",
                     *           "source": "patient",
                     *           "author": {
                     *             "id": "810001234567",
                     *             "profession": "Médecin"
                     *           },
                     *           "recordedAt": "2026-03-14T09:30:00Z"
                     *         }
                     *       ],
                     *       "treatments": [
                     *         {
                     *           "id": "mfrggzdfmztwq2lk",
                     *           "medication": "Salbutamol",
                     *           "dosage": "2 bouffées si besoin",
                     *           "since": "2026-03-14",
                     *           "source": "patient",
                     *           "author": {
                     *             "id": "810001234567",
                     *             "profession": "Médecin"
                     *           },
                     *           "recordedAt": "2026-03-14T09:30:00Z"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @description The version (0: never written); the ETag header carries it */
                        version: number;
                        /** Format: date-time */
                        updatedAt?: string;
                        bloodGroup?: {
                            /** @enum {string} */
                            abo: "A" | "B" | "AB" | "O";
                            /** @enum {string} */
                            rh: "+" | "-";
                            /** @enum {string} */
                            source: "patient" | "representative" | "professional";
                            author?: {
                                /** @description The patient’s dmpId, a representative’s login id (shown to the record’s holders only), a professional’s id */
                                id: string;
                                profession?: string;
                            };
                            /** Format: date-time */
                            recordedAt: string;
                        };
                        height?: {
                            cm: number;
                            /** @enum {string} */
                            source: "patient" | "representative" | "professional";
                            author?: {
                                /** @description The patient’s dmpId, a representative’s login id (shown to the record’s holders only), a professional’s id */
                                id: string;
                                profession?: string;
                            };
                            /** Format: date-time */
                            recordedAt: string;
                        };
                        weight?: {
                            kg: number;
                            /** @enum {string} */
                            source: "patient" | "representative" | "professional";
                            author?: {
                                /** @description The patient’s dmpId, a representative’s login id (shown to the record’s holders only), a professional’s id */
                                id: string;
                                profession?: string;
                            };
                            /** Format: date-time */
                            recordedAt: string;
                        };
                        allergies: {
                            /** @description The id of an entry, as a GET gave it */
                            id: string;
                            substance: string;
                            /** @enum {string} */
                            category: "food" | "medication" | "environment" | "other";
                            reaction?: string;
                            /** @enum {string} */
                            criticality: "low" | "high" | "unable-to-assess";
                            /** @enum {string} */
                            source: "patient" | "representative" | "professional";
                            author?: {
                                /** @description The patient’s dmpId, a representative’s login id (shown to the record’s holders only), a professional’s id */
                                id: string;
                                profession?: string;
                            };
                            /** Format: date-time */
                            recordedAt: string;
                        }[];
                        conditions: {
                            /** @description The id of an entry, as a GET gave it */
                            id: string;
                            text: string;
                            /**
                             * Format: date
                             * @description A day, not in the future nor before the birth date
                             */
                            since?: string;
                            /** @enum {string} */
                            source: "patient" | "representative" | "professional";
                            author?: {
                                /** @description The patient’s dmpId, a representative’s login id (shown to the record’s holders only), a professional’s id */
                                id: string;
                                profession?: string;
                            };
                            /** Format: date-time */
                            recordedAt: string;
                        }[];
                        treatments: {
                            /** @description The id of an entry, as a GET gave it */
                            id: string;
                            medication: string;
                            dosage?: string;
                            /**
                             * Format: date
                             * @description A day, not in the future nor before the birth date
                             */
                            since?: string;
                            /** @enum {string} */
                            source: "patient" | "representative" | "professional";
                            author?: {
                                /** @description The patient’s dmpId, a representative’s login id (shown to the record’s holders only), a professional’s id */
                                id: string;
                                profession?: string;
                            };
                            /** Format: date-time */
                            recordedAt: string;
                        }[];
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description State conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:conflict",
                     *       "title": "Conflict with the current state",
                     *       "status": 409,
                     *       "detail": "State conflict.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The version changed since it was read (If-Match) */
            412: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:precondition-failed",
                     *       "title": "The version changed since it was read",
                     *       "status": 412,
                     *       "detail": "The version changed since it was read (If-Match).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Well-formed but refused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:refused",
                     *       "title": "The request was understood but refused",
                     *       "status": 422,
                     *       "detail": "Well-formed but refused.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description If-Match is required */
            428: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:precondition-required",
                     *       "title": "An If-Match header is required",
                     *       "status": 428,
                     *       "detail": "If-Match is required.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    readWishes: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The advance directives and the trusted person */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "declared": true,
                     *       "advanceDirectives": {
                     *         "exist": true,
                     *         "writtenOn": "2026-03-14",
                     *         "originalKeptAt": "Chez le médecin traitant",
                     *         "documentId": "01jdk3m8v6w9qz2x4y7b5c8n0"
                     *       },
                     *       "trustedPerson": {
                     *         "familyName": "Martin",
                     *         "givenNames": "Jeanne Marie",
                     *         "relationship": "Sœur",
                     *         "mobile": "+33612345678"
                     *       },
                     *       "source": "patient",
                     *       "author": {
                     *         "id": "810001234567"
                     *       },
                     *       "recordedAt": "2026-03-14T09:30:00Z"
                     *     }
                     */
                    "application/json": {
                        /** @description Whether the patient wrote this part at all (false: nothing is known, the other fields are absent) */
                        declared: boolean;
                        advanceDirectives?: {
                            /** @description Whether the patient wrote advance directives */
                            exist: boolean;
                            /**
                             * Format: date
                             * @description The day they were written: not in the future nor before the birth date
                             */
                            writtenOn?: string;
                            /** @description Where the paper original is kept */
                            originalKeptAt?: string;
                            /** @description A current document of type EXPPAT_3 of this record holding them */
                            documentId?: string;
                        };
                        trustedPerson?: {
                            familyName: string;
                            givenNames: string;
                            /** @description How the trusted person is related to the patient (spouse, daughter, friend, doctor…) */
                            relationship: string;
                            mobile: string;
                        };
                        /** @constant */
                        source?: "patient";
                        author?: {
                            id: string;
                        };
                        /** Format: date-time */
                        recordedAt?: string;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    writeWishes: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "advanceDirectives": {
                 *         "exist": true,
                 *         "writtenOn": "2026-03-14",
                 *         "originalKeptAt": "Chez le médecin traitant",
                 *         "documentId": "01jdk3m8v6w9qz2x4y7b5c8n0"
                 *       },
                 *       "trustedPerson": {
                 *         "familyName": "Martin",
                 *         "givenNames": "Jeanne Marie",
                 *         "relationship": "Sœur",
                 *         "mobile": "+33612345678"
                 *       }
                 *     }
                 */
                "application/json": {
                    advanceDirectives: {
                        /** @description Whether the patient wrote advance directives */
                        exist: boolean;
                        /**
                         * Format: date
                         * @description The day they were written: not in the future nor before the birth date
                         */
                        writtenOn?: string;
                        /** @description Where the paper original is kept */
                        originalKeptAt?: string;
                        /** @description A current document of type EXPPAT_3 of this record holding them */
                        documentId?: string;
                    };
                    trustedPerson?: {
                        familyName: string;
                        givenNames: string;
                        /** @description How the trusted person is related to the patient (spouse, daughter, friend, doctor…) */
                        relationship: string;
                        mobile: string;
                    };
                };
            };
        };
        responses: {
            /** @description The advance directives and the trusted person as written */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "declared": true,
                     *       "advanceDirectives": {
                     *         "exist": true,
                     *         "writtenOn": "2026-03-14",
                     *         "originalKeptAt": "Chez le médecin traitant",
                     *         "documentId": "01jdk3m8v6w9qz2x4y7b5c8n0"
                     *       },
                     *       "trustedPerson": {
                     *         "familyName": "Martin",
                     *         "givenNames": "Jeanne Marie",
                     *         "relationship": "Sœur",
                     *         "mobile": "+33612345678"
                     *       },
                     *       "source": "patient",
                     *       "author": {
                     *         "id": "810001234567"
                     *       },
                     *       "recordedAt": "2026-03-14T09:30:00Z"
                     *     }
                     */
                    "application/json": {
                        /** @description Whether the patient wrote this part at all (false: nothing is known, the other fields are absent) */
                        declared: boolean;
                        advanceDirectives?: {
                            /** @description Whether the patient wrote advance directives */
                            exist: boolean;
                            /**
                             * Format: date
                             * @description The day they were written: not in the future nor before the birth date
                             */
                            writtenOn?: string;
                            /** @description Where the paper original is kept */
                            originalKeptAt?: string;
                            /** @description A current document of type EXPPAT_3 of this record holding them */
                            documentId?: string;
                        };
                        trustedPerson?: {
                            familyName: string;
                            givenNames: string;
                            /** @description How the trusted person is related to the patient (spouse, daughter, friend, doctor…) */
                            relationship: string;
                            mobile: string;
                        };
                        /** @constant */
                        source?: "patient";
                        author?: {
                            id: string;
                        };
                        /** Format: date-time */
                        recordedAt?: string;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description State conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:conflict",
                     *       "title": "Conflict with the current state",
                     *       "status": 409,
                     *       "detail": "State conflict.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Well-formed but refused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:refused",
                     *       "title": "The request was understood but refused",
                     *       "status": 422,
                     *       "detail": "Well-formed but refused.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listVaccinations: {
        parameters: {
            query?: {
                /** @example 20 */
                limit?: string;
                /** @example eyJrIjoiMDFqZGszbTh2NiJ9 */
                cursor?: string;
            };
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The vaccinations */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "810001234567",
                     *           "source": "patient",
                     *           "author": {
                     *             "kind": "patient",
                     *             "id": "810001234567",
                     *             "profession": "Médecin"
                     *           },
                     *           "date": "2026-03-14",
                     *           "dateKind": "administration",
                     *           "vaccine": {
                     *             "name": "Paul Martin",
                     *             "codeSystem": "CIP13",
                     *             "code": "482913",
                     *             "atcValence": "J07BB02"
                     *           },
                     *           "lotNumber": "X4F27B",
                     *           "doseNumber": 1,
                     *           "vaccinator": {
                     *             "kind": "professional",
                     *             "id": "810001234567",
                     *             "profession": "Médecin"
                     *           },
                     *           "nextBoosterDate": "2026-03-14",
                     *           "recordedAt": "2026-03-14T09:30:00Z"
                     *         }
                     *       ],
                     *       "nextCursor": "eyJrIjoiMDFqZGszbTh2NiJ9",
                     *       "claimsIncluded": true
                     *     }
                     */
                    "application/json": {
                        items: {
                            /** @description Opaque id: of the recorded vaccination, or of the history’s line */
                            id: string;
                            /** @enum {string} */
                            source: "patient" | "representative" | "professional" | "claims";
                            author: {
                                /** @enum {string} */
                                kind: "patient" | "representative" | "professional" | "insurer";
                                /** @description A representative’s id is shown to the record’s holders only */
                                id?: string;
                                profession?: string;
                            };
                            /** Format: date */
                            date: string;
                            /**
                             * @description `delivery` for the history’s lines: the day the vaccine was delivered, not administered
                             * @enum {string}
                             */
                            dateKind: "administration" | "delivery";
                            vaccine: {
                                name: string;
                                /** @enum {string} */
                                codeSystem: "CIP13" | "ATC_VALENCE";
                                code: string;
                                atcValence?: string;
                            };
                            lotNumber?: string;
                            doseNumber?: number;
                            vaccinator?: {
                                /** @constant */
                                kind: "professional";
                                id: string;
                                profession: string;
                            } | {
                                /** @constant */
                                kind: "declared";
                                name: string;
                            };
                            /** Format: date */
                            nextBoosterDate?: string;
                            /** Format: date-time */
                            recordedAt?: string;
                        }[];
                        nextCursor: string | null;
                        /** @description Whether the history’s vaccination lines are part of the list: the caller may read the reimbursement history */
                        claimsIncluded: boolean;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    recordVaccination: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Any value the client chooses for this request: a retry with the same key answers as the first call did, without doing it again
                 * @example c2f1e7a0-3b9d-4c55-9d1e-7f6a2b8c4d10
                 */
                "Idempotency-Key"?: string;
            };
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "date": "2026-03-14",
                 *       "vaccine": {
                 *         "name": "Paul Martin",
                 *         "codeSystem": "CIP13",
                 *         "code": "3400934998331",
                 *         "atcValence": "J07BB02"
                 *       },
                 *       "lotNumber": "X4F27B",
                 *       "doseNumber": 1,
                 *       "vaccinator": "Dr Durand",
                 *       "nextBoosterDate": "2026-03-14"
                 *     }
                 */
                "application/json": {
                    /**
                     * Format: date
                     * @description The day of the vaccination: not in the future, not before the birth date
                     */
                    date: string;
                    vaccine: {
                        name: string;
                        /**
                         * @description `CIP13` (the presentation, 13 digits) or `ATC_VALENCE` (7 characters)
                         * @enum {string}
                         */
                        codeSystem: "CIP13" | "ATC_VALENCE";
                        code: string;
                        /** @description The valence beside a CIP13 code: the calendar recognises its boosters by it */
                        atcValence?: string;
                    };
                    /** @description Required from a professional; the holders give it when they know it */
                    lotNumber?: string;
                    /** @description The dose’s rank in its series: 1, 2, 3… */
                    doseNumber: number;
                    /** @description Who vaccinated, as the holders declare it; a professional is the vaccinator of what it records (from its token) */
                    vaccinator?: string;
                    /**
                     * Format: date
                     * @description The next booster, when the vaccinator gives one: after the vaccination date
                     */
                    nextBoosterDate?: string;
                };
            };
        };
        responses: {
            /** @description The vaccination as recorded */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "810001234567",
                     *       "source": "patient",
                     *       "author": {
                     *         "kind": "patient",
                     *         "id": "810001234567",
                     *         "profession": "Médecin"
                     *       },
                     *       "date": "2026-03-14",
                     *       "dateKind": "administration",
                     *       "vaccine": {
                     *         "name": "Paul Martin",
                     *         "codeSystem": "CIP13",
                     *         "code": "482913",
                     *         "atcValence": "J07BB02"
                     *       },
                     *       "lotNumber": "X4F27B",
                     *       "doseNumber": 1,
                     *       "vaccinator": {
                     *         "kind": "professional",
                     *         "id": "810001234567",
                     *         "profession": "Médecin"
                     *       },
                     *       "nextBoosterDate": "2026-03-14",
                     *       "recordedAt": "2026-03-14T09:30:00Z"
                     *     }
                     */
                    "application/json": {
                        /** @description Opaque id: of the recorded vaccination, or of the history’s line */
                        id: string;
                        /** @enum {string} */
                        source: "patient" | "representative" | "professional" | "claims";
                        author: {
                            /** @enum {string} */
                            kind: "patient" | "representative" | "professional" | "insurer";
                            /** @description A representative’s id is shown to the record’s holders only */
                            id?: string;
                            profession?: string;
                        };
                        /** Format: date */
                        date: string;
                        /**
                         * @description `delivery` for the history’s lines: the day the vaccine was delivered, not administered
                         * @enum {string}
                         */
                        dateKind: "administration" | "delivery";
                        vaccine: {
                            name: string;
                            /** @enum {string} */
                            codeSystem: "CIP13" | "ATC_VALENCE";
                            code: string;
                            atcValence?: string;
                        };
                        lotNumber?: string;
                        doseNumber?: number;
                        vaccinator?: {
                            /** @constant */
                            kind: "professional";
                            id: string;
                            profession: string;
                        } | {
                            /** @constant */
                            kind: "declared";
                            name: string;
                        };
                        /** Format: date */
                        nextBoosterDate?: string;
                        /** Format: date-time */
                        recordedAt?: string;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description State conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:conflict",
                     *       "title": "Conflict with the current state",
                     *       "status": 409,
                     *       "detail": "State conflict.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Well-formed but refused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:refused",
                     *       "title": "The request was understood but refused",
                     *       "status": 422,
                     *       "detail": "Well-formed but refused.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    readDueVaccinations: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The due items, by due date */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "id": "810001234567",
                     *           "kind": "calendar",
                     *           "boosterId": "dtp-adult-25",
                     *           "display": "Amoxicilline 500 mg, gélule",
                     *           "dueDate": "2026-03-14",
                     *           "window": {
                     *             "from": "2026-03-14",
                     *             "to": "2026-03-14"
                     *           },
                     *           "status": "upcoming",
                     *           "vaccinationId": "mfrggzdfmztwq2lk"
                     *         }
                     *       ],
                     *       "claimsIncluded": true
                     *     }
                     */
                    "application/json": {
                        items: {
                            /** @description `dtp-65`, `influenza-2031`, `booster-<vaccination id>` */
                            id: string;
                            /** @enum {string} */
                            kind: "calendar" | "booster";
                            /** @description The calendar booster (data/vaccination-calendar.json) */
                            boosterId?: string;
                            display: string;
                            /** Format: date */
                            dueDate: string;
                            /** @description The days in which a dose satisfies it */
                            window: {
                                /** Format: date */
                                from: string;
                                /** Format: date */
                                to: string;
                            };
                            /** @enum {string} */
                            status: "upcoming" | "due" | "overdue";
                            /** @description The recorded vaccination whose booster date this is */
                            vaccinationId?: string;
                        }[];
                        /** @description Whether the history’s vaccination lines counted */
                        claimsIncluded: boolean;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listDevices: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The record’s devices */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "deviceId": "mfrggzdfmztwq2lkmfrg",
                     *           "name": "Paul Martin",
                     *           "pairedAt": "2026-03-14T09:30:00Z",
                     *           "pairedBy": {
                     *             "kind": "patient",
                     *             "id": "810001234567"
                     *           },
                     *           "revokedAt": "2026-03-14T09:30:00Z"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        items: {
                            /** @description Opaque id of a device paired with the record */
                            deviceId: string;
                            name: string;
                            /** Format: date-time */
                            pairedAt: string;
                            pairedBy: {
                                /** @enum {string} */
                                kind: "patient" | "representative";
                                id: string;
                            };
                            /**
                             * Format: date-time
                             * @description Since when its credential authenticates nobody
                             */
                            revokedAt?: string;
                        }[];
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    pairDevice: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "Paul Martin"
                 *     }
                 */
                "application/json": {
                    /** @description What the patient calls the device or app (“Balance salle de bain”): sealed, shown to the record’s holders only */
                    name: string;
                };
            };
        };
        responses: {
            /** @description The device and its credential (shown once) */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "deviceId": "mfrggzdfmztwq2lkmfrg",
                     *       "name": "Paul Martin",
                     *       "pairedAt": "2026-03-14T09:30:00Z",
                     *       "credential": "dmpdev_mfrggzdfmztwq2lkmfrggzdfmztwq2lk"
                     *     }
                     */
                    "application/json": {
                        /** @description Opaque id of a device paired with the record */
                        deviceId: string;
                        name: string;
                        /** Format: date-time */
                        pairedAt: string;
                        /** @description The device’s credential, shown this once and never again (only its SHA-256 is kept): the device sends it as `Authorization: Bearer <credential>` to POST …/measurements of this record. */
                        credential: string;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description State conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:conflict",
                     *       "title": "Conflict with the current state",
                     *       "status": 409,
                     *       "detail": "State conflict.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    revokeDevice: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
                /** @example mfrggzdfmztwq2lkmfrg */
                deviceId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Revoked */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listMeasurements: {
        parameters: {
            query?: {
                /** @example 29463-7 */
                code?: "29463-7" | "8302-2" | "8867-4" | "85354-9" | "8310-5" | "39156-5" | "8280-0" | "2339-0" | "41950-7" | "72514-3" | "8287-5";
                /** @example 2026-03-14 */
                from?: string;
                /** @example 2026-03-14 */
                to?: string;
                /** @example 20 */
                limit?: string;
                /** @example eyJrIjoiMDFqZGszbTh2NiJ9 */
                cursor?: string;
            };
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Measurements, newest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "measurementId": "mfrggzdfmztwq2lk",
                     *           "code": "482913",
                     *           "display": "Amoxicilline 500 mg, gélule",
                     *           "unit": "kg",
                     *           "value": 1,
                     *           "components": [
                     *             {
                     *               "code": "482913",
                     *               "display": "Amoxicilline 500 mg, gélule",
                     *               "value": 1
                     *             }
                     *           ],
                     *           "effectiveAt": "2026-03-14T09:30:00Z",
                     *           "source": "device",
                     *           "author": {
                     *             "kind": "device",
                     *             "id": "810001234567"
                     *           },
                     *           "deviceId": "mfrggzdfmztwq2lkmfrg",
                     *           "recordedAt": "2026-03-14T09:30:00Z"
                     *         }
                     *       ],
                     *       "nextCursor": "eyJrIjoiMDFqZGszbTh2NiJ9"
                     *     }
                     */
                    "application/json": {
                        items: {
                            /** @description Opaque id of the measurement in this record */
                            measurementId: string;
                            code: string;
                            display: string;
                            unit: string;
                            value?: number;
                            components?: {
                                code: string;
                                display: string;
                                value: number;
                            }[];
                            /** Format: date-time */
                            effectiveAt: string;
                            /**
                             * @description Who entered it: a paired device, or a holder of the record
                             * @enum {string}
                             */
                            source: "device" | "patient" | "representative";
                            author: {
                                /** @enum {string} */
                                kind: "device" | "patient" | "representative";
                                /** @description The device’s id, the patient’s dmpId, or the representative’s login id (to the record’s holders only) */
                                id?: string;
                            };
                            /** @description The paired device that measured it */
                            deviceId?: string;
                            /** Format: date-time */
                            recordedAt: string;
                        }[];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    recordMeasurements: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "measurements": [
                 *         null
                 *       ]
                 *     }
                 */
                "application/json": {
                    measurements: unknown[];
                };
            };
        };
        responses: {
            /** @description How many measurements were stored, and how many were there already */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "stored": 1,
                     *       "duplicate": 1
                     *     }
                     */
                    "application/json": {
                        /** @description Measurements stored by this request */
                        stored: number;
                        /** @description Measurements stored already (the same device, code and instant; or twice in this batch): stored once */
                        duplicate: number;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description State conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:conflict",
                     *       "title": "Conflict with the current state",
                     *       "status": 409,
                     *       "detail": "State conflict.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Well-formed but refused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:refused",
                     *       "title": "The request was understood but refused",
                     *       "status": 422,
                     *       "detail": "Well-formed but refused.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    readEmergencySummary: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The emergency summary */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "generatedAt": "2026-03-14T09:30:00Z",
                     *       "mode": "normal",
                     *       "withheld": [
                     *         "profile"
                     *       ],
                     *       "profile": {
                     *         "version": 1,
                     *         "updatedAt": "2026-03-14T09:30:00Z",
                     *         "bloodGroup": {
                     *           "abo": "A",
                     *           "rh": "+",
                     *           "source": "patient",
                     *           "author": {
                     *             "id": "810001234567",
                     *             "profession": "Médecin"
                     *           },
                     *           "recordedAt": "2026-03-14T09:30:00Z"
                     *         },
                     *         "height": {
                     *           "cm": 1,
                     *           "source": "patient",
                     *           "author": {
                     *             "id": "810001234567",
                     *             "profession": "Médecin"
                     *           },
                     *           "recordedAt": "2026-03-14T09:30:00Z"
                     *         },
                     *         "weight": {
                     *           "kg": 1,
                     *           "source": "patient",
                     *           "author": {
                     *             "id": "810001234567",
                     *             "profession": "Médecin"
                     *           },
                     *           "recordedAt": "2026-03-14T09:30:00Z"
                     *         },
                     *         "allergies": [
                     *           {
                     *             "id": "mfrggzdfmztwq2lk",
                     *             "substance": "Pénicilline",
                     *             "category": "food",
                     *             "reaction": "Urticaire",
                     *             "criticality": "low",
                     *             "source": "patient",
                     *             "author": {
                     *               "id": "810001234567",
                     *               "profession": "Médecin"
                     *             },
                     *             "recordedAt": "2026-03-14T09:30:00Z"
                     *           }
                     *         ],
                     *         "conditions": [
                     *           {
                     *             "id": "mfrggzdfmztwq2lk",
                     *             "text": "Asthme léger",
                     *             "since": "2026-03-14",
                     *             "source": "patient",
                     *             "author": {
                     *               "id": "810001234567",
                     *               "profession": "Médecin"
                     *             },
                     *             "recordedAt": "2026-03-14T09:30:00Z"
                     *           }
                     *         ],
                     *         "treatments": [
                     *           {
                     *             "id": "mfrggzdfmztwq2lk",
                     *             "medication": "Salbutamol",
                     *             "dosage": "2 bouffées si besoin",
                     *             "since": "2026-03-14",
                     *             "source": "patient",
                     *             "author": {
                     *               "id": "810001234567",
                     *               "profession": "Médecin"
                     *             },
                     *             "recordedAt": "2026-03-14T09:30:00Z"
                     *           }
                     *         ]
                     *       },
                     *       "wishes": {
                     *         "declared": true,
                     *         "advanceDirectives": {
                     *           "exist": true,
                     *           "writtenOn": "2026-03-14",
                     *           "originalKeptAt": "Chez le médecin traitant",
                     *           "documentId": "01jdk3m8v6w9qz2x4y7b5c8n0"
                     *         },
                     *         "trustedPerson": {
                     *           "familyName": "Martin",
                     *           "givenNames": "Jeanne Marie",
                     *           "relationship": "Sœur",
                     *           "mobile": "+33612345678"
                     *         },
                     *         "source": "patient",
                     *         "author": {
                     *           "id": "810001234567"
                     *         },
                     *         "recordedAt": "2026-03-14T09:30:00Z"
                     *       },
                     *       "vaccinations": [
                     *         {
                     *           "id": "810001234567",
                     *           "source": "patient",
                     *           "author": {
                     *             "kind": "patient",
                     *             "id": "810001234567",
                     *             "profession": "Médecin"
                     *           },
                     *           "date": "2026-03-14",
                     *           "dateKind": "administration",
                     *           "vaccine": {
                     *             "name": "Paul Martin",
                     *             "codeSystem": "CIP13",
                     *             "code": "482913",
                     *             "atcValence": "J07BB02"
                     *           },
                     *           "lotNumber": "X4F27B",
                     *           "doseNumber": 1,
                     *           "vaccinator": {
                     *             "kind": "professional",
                     *             "id": "810001234567",
                     *             "profession": "Médecin"
                     *           },
                     *           "nextBoosterDate": "2026-03-14",
                     *           "recordedAt": "2026-03-14T09:30:00Z"
                     *         }
                     *       ],
                     *       "treatments": {
                     *         "window": {
                     *           "from": "2026-03-14",
                     *           "to": "2026-03-14"
                     *         },
                     *         "dispensed": [
                     *           {
                     *             "substance": "Pénicilline",
                     *             "display": "Amoxicilline 500 mg, gélule",
                     *             "firstDispensed": "2026-03-14",
                     *             "lastDispensed": "2026-03-14",
                     *             "quantity": 1,
                     *             "prescriberIds": [
                     *               "810001234567"
                     *             ]
                     *           }
                     *         ]
                     *       },
                     *       "documents": {
                     *         "latestSummary": {
                     *           "documentId": "01jdk3m8v6w9qz2x4y7b5c8n0",
                     *           "typeCode": "11488-4",
                     *           "title": "Compte rendu de consultation",
                     *           "serviceDate": "2026-03-14",
                     *           "depositedAt": "2026-03-14T09:30:00Z",
                     *           "author": {
                     *             "kind": "professional",
                     *             "id": "810001234567"
                     *           }
                     *         },
                     *         "latestHospitalLetter": {
                     *           "documentId": "01jdk3m8v6w9qz2x4y7b5c8n0",
                     *           "typeCode": "11488-4",
                     *           "title": "Compte rendu de consultation",
                     *           "serviceDate": "2026-03-14",
                     *           "depositedAt": "2026-03-14T09:30:00Z",
                     *           "author": {
                     *             "kind": "professional",
                     *             "id": "810001234567"
                     *           }
                     *         }
                     *       }
                     *     }
                     */
                    "application/json": {
                        /** Format: date-time */
                        generatedAt: string;
                        /**
                         * @description The access mode the summary was read in (traced with it)
                         * @enum {string}
                         */
                        mode: "normal" | "break-glass" | "regulation";
                        /** @description The parts the access policy withholds from this caller */
                        withheld: ("profile" | "treatments" | "wishes" | "vaccinations")[];
                        /** @description Blood group, allergies, conditions, declared treatments, height and weight, each with its source and author */
                        profile?: {
                            /** @description The version (0: never written); the ETag header carries it */
                            version: number;
                            /** Format: date-time */
                            updatedAt?: string;
                            bloodGroup?: {
                                /** @enum {string} */
                                abo: "A" | "B" | "AB" | "O";
                                /** @enum {string} */
                                rh: "+" | "-";
                                /** @enum {string} */
                                source: "patient" | "representative" | "professional";
                                author?: {
                                    /** @description The patient’s dmpId, a representative’s login id (shown to the record’s holders only), a professional’s id */
                                    id: string;
                                    profession?: string;
                                };
                                /** Format: date-time */
                                recordedAt: string;
                            };
                            height?: {
                                cm: number;
                                /** @enum {string} */
                                source: "patient" | "representative" | "professional";
                                author?: {
                                    /** @description The patient’s dmpId, a representative’s login id (shown to the record’s holders only), a professional’s id */
                                    id: string;
                                    profession?: string;
                                };
                                /** Format: date-time */
                                recordedAt: string;
                            };
                            weight?: {
                                kg: number;
                                /** @enum {string} */
                                source: "patient" | "representative" | "professional";
                                author?: {
                                    /** @description The patient’s dmpId, a representative’s login id (shown to the record’s holders only), a professional’s id */
                                    id: string;
                                    profession?: string;
                                };
                                /** Format: date-time */
                                recordedAt: string;
                            };
                            allergies: {
                                /** @description The id of an entry, as a GET gave it */
                                id: string;
                                substance: string;
                                /** @enum {string} */
                                category: "food" | "medication" | "environment" | "other";
                                reaction?: string;
                                /** @enum {string} */
                                criticality: "low" | "high" | "unable-to-assess";
                                /** @enum {string} */
                                source: "patient" | "representative" | "professional";
                                author?: {
                                    /** @description The patient’s dmpId, a representative’s login id (shown to the record’s holders only), a professional’s id */
                                    id: string;
                                    profession?: string;
                                };
                                /** Format: date-time */
                                recordedAt: string;
                            }[];
                            conditions: {
                                /** @description The id of an entry, as a GET gave it */
                                id: string;
                                text: string;
                                /**
                                 * Format: date
                                 * @description A day, not in the future nor before the birth date
                                 */
                                since?: string;
                                /** @enum {string} */
                                source: "patient" | "representative" | "professional";
                                author?: {
                                    /** @description The patient’s dmpId, a representative’s login id (shown to the record’s holders only), a professional’s id */
                                    id: string;
                                    profession?: string;
                                };
                                /** Format: date-time */
                                recordedAt: string;
                            }[];
                            treatments: {
                                /** @description The id of an entry, as a GET gave it */
                                id: string;
                                medication: string;
                                dosage?: string;
                                /**
                                 * Format: date
                                 * @description A day, not in the future nor before the birth date
                                 */
                                since?: string;
                                /** @enum {string} */
                                source: "patient" | "representative" | "professional";
                                author?: {
                                    /** @description The patient’s dmpId, a representative’s login id (shown to the record’s holders only), a professional’s id */
                                    id: string;
                                    profession?: string;
                                };
                                /** Format: date-time */
                                recordedAt: string;
                            }[];
                        };
                        /** @description The advance directives and the trusted person (the professions of the EXPPAT_3 exception) */
                        wishes?: {
                            /** @description Whether the patient wrote this part at all (false: nothing is known, the other fields are absent) */
                            declared: boolean;
                            advanceDirectives?: {
                                /** @description Whether the patient wrote advance directives */
                                exist: boolean;
                                /**
                                 * Format: date
                                 * @description The day they were written: not in the future nor before the birth date
                                 */
                                writtenOn?: string;
                                /** @description Where the paper original is kept */
                                originalKeptAt?: string;
                                /** @description A current document of type EXPPAT_3 of this record holding them */
                                documentId?: string;
                            };
                            trustedPerson?: {
                                familyName: string;
                                givenNames: string;
                                /** @description How the trusted person is related to the patient (spouse, daughter, friend, doctor…) */
                                relationship: string;
                                mobile: string;
                            };
                            /** @constant */
                            source?: "patient";
                            author?: {
                                id: string;
                            };
                            /** Format: date-time */
                            recordedAt?: string;
                        };
                        /** @description Recorded and from the reimbursement history (as GET …/vaccinations shows them to this caller), newest first */
                        vaccinations?: {
                            /** @description Opaque id: of the recorded vaccination, or of the history’s line */
                            id: string;
                            /** @enum {string} */
                            source: "patient" | "representative" | "professional" | "claims";
                            author: {
                                /** @enum {string} */
                                kind: "patient" | "representative" | "professional" | "insurer";
                                /** @description A representative’s id is shown to the record’s holders only */
                                id?: string;
                                profession?: string;
                            };
                            /** Format: date */
                            date: string;
                            /**
                             * @description `delivery` for the history’s lines: the day the vaccine was delivered, not administered
                             * @enum {string}
                             */
                            dateKind: "administration" | "delivery";
                            vaccine: {
                                name: string;
                                /** @enum {string} */
                                codeSystem: "CIP13" | "ATC_VALENCE";
                                code: string;
                                atcValence?: string;
                            };
                            lotNumber?: string;
                            doseNumber?: number;
                            vaccinator?: {
                                /** @constant */
                                kind: "professional";
                                id: string;
                                profession: string;
                            } | {
                                /** @constant */
                                kind: "declared";
                                name: string;
                            };
                            /** Format: date */
                            nextBoosterDate?: string;
                            /** Format: date-time */
                            recordedAt?: string;
                        }[];
                        treatments?: {
                            window: {
                                /** Format: date */
                                from: string;
                                /** Format: date */
                                to: string;
                            };
                            /** @description From the reimbursement history, grouped by substance */
                            dispensed: {
                                /** @description The active component’s code, or the product code of lines that name no component */
                                substance: string;
                                /** @description The product dispensed last */
                                display: string;
                                /** Format: date */
                                firstDispensed: string;
                                /** Format: date */
                                lastDispensed: string;
                                quantity: number;
                                prescriberIds: string[];
                            }[];
                        };
                        documents: {
                            latestSummary: {
                                documentId: string;
                                typeCode: string;
                                title: string;
                                /** Format: date */
                                serviceDate: string;
                                /** Format: date-time */
                                depositedAt: string;
                                author: {
                                    /** @enum {string} */
                                    kind: "professional" | "patient" | "representative";
                                    id: string;
                                };
                            } | null;
                            latestHospitalLetter: {
                                documentId: string;
                                typeCode: string;
                                title: string;
                                /** Format: date */
                                serviceDate: string;
                                /** Format: date-time */
                                depositedAt: string;
                                author: {
                                    /** @enum {string} */
                                    kind: "professional" | "patient" | "representative";
                                    id: string;
                                };
                            } | null;
                        };
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    searchAllergyIntolerance: {
        parameters: {
            query: {
                /** @example Kq3v9xT2mB7wLp4z */
                patient: string;
                /** @example 20 */
                _count?: string;
                /** @example o50 */
                _cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The allergies */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "resourceType": "Bundle",
                     *       "type": "searchset",
                     *       "link": [
                     *         {
                     *           "relation": "self",
                     *           "url": "exemple"
                     *         }
                     *       ],
                     *       "entry": [
                     *         {
                     *           "resource": {
                     *             "resourceType": "exemple",
                     *             "id": "810001234567"
                     *           },
                     *           "search": {
                     *             "mode": "match"
                     *           }
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        resourceType: "Bundle";
                        /** @constant */
                        type: "searchset";
                        link: {
                            /** @enum {string} */
                            relation: "self" | "next";
                            url: string;
                        }[];
                        entry: {
                            /** @description A FHIR R4 resource of the searched type */
                            resource: {
                                resourceType: string;
                                id: string;
                            } & {
                                [key: string]: unknown;
                            };
                            search: {
                                /** @constant */
                                mode: "match";
                            };
                        }[];
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    searchCondition: {
        parameters: {
            query: {
                /** @example Kq3v9xT2mB7wLp4z */
                patient: string;
                /** @example 20 */
                _count?: string;
                /** @example o50 */
                _cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The conditions */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "resourceType": "Bundle",
                     *       "type": "searchset",
                     *       "link": [
                     *         {
                     *           "relation": "self",
                     *           "url": "exemple"
                     *         }
                     *       ],
                     *       "entry": [
                     *         {
                     *           "resource": {
                     *             "resourceType": "exemple",
                     *             "id": "810001234567"
                     *           },
                     *           "search": {
                     *             "mode": "match"
                     *           }
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        resourceType: "Bundle";
                        /** @constant */
                        type: "searchset";
                        link: {
                            /** @enum {string} */
                            relation: "self" | "next";
                            url: string;
                        }[];
                        entry: {
                            /** @description A FHIR R4 resource of the searched type */
                            resource: {
                                resourceType: string;
                                id: string;
                            } & {
                                [key: string]: unknown;
                            };
                            search: {
                                /** @constant */
                                mode: "match";
                            };
                        }[];
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    searchImmunization: {
        parameters: {
            query: {
                /** @example Kq3v9xT2mB7wLp4z */
                patient: string;
                /** @example 20 */
                _count?: string;
                /** @example o50 */
                _cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The vaccinations */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "resourceType": "Bundle",
                     *       "type": "searchset",
                     *       "link": [
                     *         {
                     *           "relation": "self",
                     *           "url": "exemple"
                     *         }
                     *       ],
                     *       "entry": [
                     *         {
                     *           "resource": {
                     *             "resourceType": "exemple",
                     *             "id": "810001234567"
                     *           },
                     *           "search": {
                     *             "mode": "match"
                     *           }
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        resourceType: "Bundle";
                        /** @constant */
                        type: "searchset";
                        link: {
                            /** @enum {string} */
                            relation: "self" | "next";
                            url: string;
                        }[];
                        entry: {
                            /** @description A FHIR R4 resource of the searched type */
                            resource: {
                                resourceType: string;
                                id: string;
                            } & {
                                [key: string]: unknown;
                            };
                            search: {
                                /** @constant */
                                mode: "match";
                            };
                        }[];
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    searchImmunizationRecommendation: {
        parameters: {
            query: {
                /** @example Kq3v9xT2mB7wLp4z */
                patient: string;
                /** @example 20 */
                _count?: string;
                /** @example o50 */
                _cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The due items */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "resourceType": "Bundle",
                     *       "type": "searchset",
                     *       "link": [
                     *         {
                     *           "relation": "self",
                     *           "url": "exemple"
                     *         }
                     *       ],
                     *       "entry": [
                     *         {
                     *           "resource": {
                     *             "resourceType": "exemple",
                     *             "id": "810001234567"
                     *           },
                     *           "search": {
                     *             "mode": "match"
                     *           }
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        resourceType: "Bundle";
                        /** @constant */
                        type: "searchset";
                        link: {
                            /** @enum {string} */
                            relation: "self" | "next";
                            url: string;
                        }[];
                        entry: {
                            /** @description A FHIR R4 resource of the searched type */
                            resource: {
                                resourceType: string;
                                id: string;
                            } & {
                                [key: string]: unknown;
                            };
                            search: {
                                /** @constant */
                                mode: "match";
                            };
                        }[];
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    searchObservation: {
        parameters: {
            query: {
                /** @example Kq3v9xT2mB7wLp4z */
                patient: string;
                /** @example 20 */
                _count?: string;
                /** @example o50 */
                _cursor?: string;
                /** @example compte rendu */
                _content?: string;
                /** @example compte rendu */
                _text?: string;
                /** @example 29463-7 */
                code?: string;
                /** @example ge2026-01-01 */
                date?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The measurements */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "resourceType": "Bundle",
                     *       "type": "searchset",
                     *       "link": [
                     *         {
                     *           "relation": "self",
                     *           "url": "exemple"
                     *         }
                     *       ],
                     *       "entry": [
                     *         {
                     *           "resource": {
                     *             "resourceType": "exemple",
                     *             "id": "810001234567"
                     *           },
                     *           "search": {
                     *             "mode": "match"
                     *           }
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        resourceType: "Bundle";
                        /** @constant */
                        type: "searchset";
                        link: {
                            /** @enum {string} */
                            relation: "self" | "next";
                            url: string;
                        }[];
                        entry: {
                            /** @description A FHIR R4 resource of the searched type */
                            resource: {
                                resourceType: string;
                                id: string;
                            } & {
                                [key: string]: unknown;
                            };
                            search: {
                                /** @constant */
                                mode: "match";
                            };
                        }[];
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    searchConsent: {
        parameters: {
            query: {
                /** @example Kq3v9xT2mB7wLp4z */
                patient: string;
                /** @example 20 */
                _count?: string;
                /** @example o50 */
                _cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The advance directives */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "resourceType": "Bundle",
                     *       "type": "searchset",
                     *       "link": [
                     *         {
                     *           "relation": "self",
                     *           "url": "exemple"
                     *         }
                     *       ],
                     *       "entry": [
                     *         {
                     *           "resource": {
                     *             "resourceType": "exemple",
                     *             "id": "810001234567"
                     *           },
                     *           "search": {
                     *             "mode": "match"
                     *           }
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        resourceType: "Bundle";
                        /** @constant */
                        type: "searchset";
                        link: {
                            /** @enum {string} */
                            relation: "self" | "next";
                            url: string;
                        }[];
                        entry: {
                            /** @description A FHIR R4 resource of the searched type */
                            resource: {
                                resourceType: string;
                                id: string;
                            } & {
                                [key: string]: unknown;
                            };
                            search: {
                                /** @constant */
                                mode: "match";
                            };
                        }[];
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    searchAuditEvent: {
        parameters: {
            query: {
                /** @example Kq3v9xT2mB7wLp4z */
                patient: string;
                /** @example 20 */
                _count?: string;
                /** @example o50 */
                _cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The access log */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "resourceType": "Bundle",
                     *       "type": "searchset",
                     *       "link": [
                     *         {
                     *           "relation": "self",
                     *           "url": "exemple"
                     *         }
                     *       ],
                     *       "entry": [
                     *         {
                     *           "resource": {
                     *             "resourceType": "exemple",
                     *             "id": "810001234567"
                     *           },
                     *           "search": {
                     *             "mode": "match"
                     *           }
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        resourceType: "Bundle";
                        /** @constant */
                        type: "searchset";
                        link: {
                            /** @enum {string} */
                            relation: "self" | "next";
                            url: string;
                        }[];
                        entry: {
                            /** @description A FHIR R4 resource of the searched type */
                            resource: {
                                resourceType: string;
                                id: string;
                            } & {
                                [key: string]: unknown;
                            };
                            search: {
                                /** @constant */
                                mode: "match";
                            };
                        }[];
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    searchMedicationDispense: {
        parameters: {
            query: {
                /** @example Kq3v9xT2mB7wLp4z */
                patient: string;
                /** @example 20 */
                _count?: string;
                /** @example o50 */
                _cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The medicines dispensed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "resourceType": "Bundle",
                     *       "type": "searchset",
                     *       "link": [
                     *         {
                     *           "relation": "self",
                     *           "url": "exemple"
                     *         }
                     *       ],
                     *       "entry": [
                     *         {
                     *           "resource": {
                     *             "resourceType": "exemple",
                     *             "id": "810001234567"
                     *           },
                     *           "search": {
                     *             "mode": "match"
                     *           }
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        resourceType: "Bundle";
                        /** @constant */
                        type: "searchset";
                        link: {
                            /** @enum {string} */
                            relation: "self" | "next";
                            url: string;
                        }[];
                        entry: {
                            /** @description A FHIR R4 resource of the searched type */
                            resource: {
                                resourceType: string;
                                id: string;
                            } & {
                                [key: string]: unknown;
                            };
                            search: {
                                /** @constant */
                                mode: "match";
                            };
                        }[];
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    searchKeywords: {
        parameters: {
            query: {
                /** @example compte rendu */
                q: string;
                /** @example document */
                kind?: string;
                /** @example 2026-03-14 */
                from?: string;
                /** @example 2026-03-14 */
                to?: string;
                /** @example 20 */
                limit?: string;
                /** @example eyJrIjoiMDFqZGszbTh2NiJ9 */
                cursor?: string;
            };
            header?: never;
            path: {
                /** @example Kq3v9xT2mB7wLp4z */
                dmpId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The matching items the caller may see */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "items": [
                     *         {
                     *           "kind": "document",
                     *           "id": "810001234567",
                     *           "date": "ge2026-01-01",
                     *           "title": "Compte rendu de consultation",
                     *           "field": "exemple"
                     *         }
                     *       ],
                     *       "nextCursor": "eyJrIjoiMDFqZGszbTh2NiJ9"
                     *     }
                     */
                    "application/json": {
                        items: {
                            /** @enum {string} */
                            kind: "document" | "claim" | "profile" | "vaccination" | "measurement";
                            /** @description The item’s id as its own route names it: a documentId, a claims lineId, a vaccination id, a measurement’s LOINC code, a profile entry id */
                            id: string;
                            /** @description The item’s day (or instant): of service, of care, of vaccination, of the latest measurement */
                            date: string;
                            /** @description Its title or label */
                            title: string;
                            /** @description The field the words were found in (title, text, label, code…) */
                            field: string;
                        }[];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    pharmacyCreations: {
        parameters: {
            query: {
                /** @example 2026-03 */
                month: string;
            };
            header?: never;
            path: {
                /** @example 750712184 */
                finess: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The month’s ledger */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "finess": "750712184",
                     *       "month": "2026-03",
                     *       "count": 1,
                     *       "amountEur": 1,
                     *       "items": [
                     *         {
                     *           "dmpId": "Kq3v9xT2mB7wLp4z",
                     *           "createdAt": "2026-03-14T09:30:00Z"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        finess: string;
                        month: string;
                        count: number;
                        amountEur: number;
                        items: {
                            /** @description Opaque record id */
                            dmpId: string;
                            /** Format: date-time */
                            createdAt: string;
                        }[];
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    creationStats: {
        parameters: {
            query: {
                /** @example 2026-03-14 */
                from: string;
                /** @example 2026-03-14 */
                to: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Statistics */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "total": 1,
                     *       "byChannel": {
                     *         "pharmacy": 1,
                     *         "professional": 1,
                     *         "agent": 1,
                     *         "online": 1
                     *       },
                     *       "byWeek": [
                     *         {
                     *           "week": "exemple",
                     *           "count": 1
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        total: number;
                        byChannel: {
                            pharmacy: number;
                            professional: number;
                            agent: number;
                            online: number;
                        };
                        byWeek: {
                            week: string;
                            count: number;
                        }[];
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    fhirMetadata: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description CapabilityStatement */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "resourceType": "CapabilityStatement"
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        resourceType: "CapabilityStatement";
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    fhirReadPatient: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example 810001234567 */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Patient */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "resourceType": "Patient"
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        resourceType: "Patient";
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    fhirPatientEverything: {
        parameters: {
            query?: {
                /** @example 20 */
                _count?: string;
                /** @example 482913 */
                _offset?: string;
            };
            header?: never;
            path: {
                /** @example 810001234567 */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description searchset Bundle */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "resourceType": "Bundle"
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        resourceType: "Bundle";
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    fhirSearchDocumentReference: {
        parameters: {
            query: {
                /** @example Kq3v9xT2mB7wLp4z */
                patient: string;
                /** @example current */
                status?: "current" | "superseded";
                /** @example 11488-4 */
                type?: string;
                /** @example ge2026-01-01 */
                date?: string;
                /** @example compte rendu */
                _content?: string;
                /** @example compte rendu */
                _text?: string;
                /** @example 20 */
                _count?: string;
                /** @example o50 */
                _cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description searchset Bundle */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "resourceType": "Bundle"
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        resourceType: "Bundle";
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    fhirCreateDocumentReference: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Any value the client chooses for this request: a retry with the same key answers as the first call did, without doing it again
                 * @example c2f1e7a0-3b9d-4c55-9d1e-7f6a2b8c4d10
                 */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "resourceType": "DocumentReference",
                 *       "status": "current",
                 *       "type": {
                 *         "coding": [
                 *           {
                 *             "system": "http://loinc.org",
                 *             "code": "11488-4"
                 *           }
                 *         ]
                 *       },
                 *       "subject": {
                 *         "reference": "Patient/Kq3v9xT2mB7wLp4z"
                 *       },
                 *       "description": "Compte rendu de consultation",
                 *       "context": {
                 *         "period": {
                 *           "start": "2026-03-14"
                 *         }
                 *       },
                 *       "content": [
                 *         {
                 *           "attachment": {
                 *             "contentType": "application/pdf",
                 *             "data": "JVBERi0xLjcKJcfsj6IK"
                 *           }
                 *         }
                 *       ]
                 *     }
                 */
                "application/json": {
                    /** @constant */
                    resourceType: "DocumentReference";
                    meta?: {
                        security?: {
                            system?: string;
                            code: string;
                            display?: string;
                        }[];
                    };
                    masterIdentifier?: {
                        system?: string;
                        value: string;
                    };
                    /** @constant */
                    status: "current";
                    type: {
                        coding: {
                            system?: string;
                            code: string;
                            display?: string;
                        }[];
                        text?: string;
                    };
                    subject: {
                        reference: string;
                    };
                    description: string;
                    securityLabel?: {
                        coding: {
                            system?: string;
                            code: string;
                            display?: string;
                        }[];
                    }[];
                    context: {
                        period: {
                            /** Format: date */
                            start: string;
                        };
                    };
                    relatesTo?: {
                        /** @constant */
                        code: "replaces";
                        target: {
                            reference: string;
                        };
                    }[];
                    content: {
                        attachment: {
                            /** @enum {string} */
                            contentType: "application/pdf" | "text/plain" | "text/xml" | "image/jpeg" | "image/tiff" | "application/fhir+json";
                            data: string;
                            title?: string;
                        };
                    }[];
                };
            };
        };
        responses: {
            /** @description Created: the DocumentReference */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "resourceType": "DocumentReference"
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        resourceType: "DocumentReference";
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description State conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:conflict",
                     *       "title": "Conflict with the current state",
                     *       "status": 409,
                     *       "detail": "State conflict.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Well-formed but refused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:refused",
                     *       "title": "The request was understood but refused",
                     *       "status": 422,
                     *       "detail": "Well-formed but refused.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    fhirReadDocumentReference: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example 810001234567 */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description DocumentReference */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "resourceType": "DocumentReference"
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        resourceType: "DocumentReference";
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    fhirReadBinary: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example 810001234567 */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Binary */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "resourceType": "Binary"
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        resourceType: "Binary";
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    fhirUnsupportedType: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Practitioner */
                type: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Error */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:method-not-allowed",
                     *       "title": "Method not allowed",
                     *       "status": 405,
                     *       "detail": "Error.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    fhirUnsupportedCreate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Practitioner */
                type: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                /** @example {} */
                "application/json": {
                    [key: string]: unknown;
                };
            };
        };
        responses: {
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Error */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:method-not-allowed",
                     *       "title": "Method not allowed",
                     *       "status": 405,
                     *       "detail": "Error.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Payload too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:payload-too-large",
                     *       "title": "The request body is too large",
                     *       "status": 413,
                     *       "detail": "Payload too large.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong content type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unsupported-media-type",
                     *       "title": "Unsupported content type",
                     *       "status": 415,
                     *       "detail": "Wrong content type.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    fhirUnsupportedRead: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example Practitioner */
                type: string;
                /** @example 810001234567 */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Malformed or invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:invalid-request",
                     *       "title": "The request is not valid",
                     *       "status": 400,
                     *       "detail": "Malformed or invalid input.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53",
                     *       "errors": [
                     *         {
                     *           "path": "body.ins",
                     *           "message": "not a valid INS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unauthenticated",
                     *       "title": "Missing or invalid credentials",
                     *       "status": 401,
                     *       "detail": "Missing or invalid credentials.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Authenticated but not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:forbidden",
                     *       "title": "Not allowed",
                     *       "status": 403,
                     *       "detail": "Authenticated but not allowed.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown resource, or one the caller may not know exists */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:not-found",
                     *       "title": "Not found",
                     *       "status": 404,
                     *       "detail": "Unknown resource, or one the caller may not know exists.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Error */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:method-not-allowed",
                     *       "title": "Method not allowed",
                     *       "status": 405,
                     *       "detail": "Error.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    openapi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OpenAPI document */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    docs: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description HTML reference page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": unknown;
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    docsScript: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description JavaScript */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/javascript": unknown;
                };
            };
            /** @description Rate limited (see Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:rate-limited",
                     *       "title": "Too many requests",
                     *       "status": 429,
                     *       "detail": "Rate limited (see Retry-After).",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A dependency is unavailable: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "urn:dmp:problem:unavailable",
                     *       "title": "Temporarily unavailable",
                     *       "status": 503,
                     *       "detail": "A dependency is unavailable: retry.",
                     *       "instance": "5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53"
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
