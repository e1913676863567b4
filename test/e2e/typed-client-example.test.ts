/**
 * What the example page (examples/web) stands on, without a browser (npm run test:browser drives the
 * page itself): its seeding script, through the typed client, gives a patient who logs in and sees
 * the seeded documents; bin/local-web.ts serves the page, its bundled script and the API's URL on an
 * origin of its own, and nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createDmpClient } from '../../clients/typescript/index.ts';
import { lastSmsCode, seedPatient } from '../../examples/web/seed.ts';
import { startLocalWeb, type LocalWeb } from '../../bin/local-web.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let web: LocalWeb;
beforeAll(async () => {
  api = await startTestApi();
  web = await startLocalWeb({ port: 0, apiUrl: () => `${api.runtime.url}/?a="b"&c` });
});
afterAll(async () => {
  await web?.stop();
  await api?.stop();
});

describe('the example page', () => {
  it("the seeding script's patient logs in with password and SMS code and finds the seeded documents", async () => {
    const seeded = await seedPatient(api.runtime.url, 'une autre phrase de passe 2026');
    expect(seeded.password).toBe('une autre phrase de passe 2026');
    const dmp = createDmpClient({ baseUrl: api.runtime.url });
    const login = await dmp.POST('/v1/auth/patient/login', { body: { loginId: seeded.loginId, password: seeded.password } });
    expect(login.response.status).toBe(202);
    const session = await dmp.POST('/v1/auth/patient/verify', { body: { challengeId: login.data!.challengeId, code: await lastSmsCode(api.runtime.url, seeded.mobile) } });
    expect(session.data).toMatchObject({ mustChangePassword: false });
    const headers = bearer(session.data!.accessToken);
    const list = await dmp.GET('/v1/records/{dmpId}/documents', { params: { path: { dmpId: seeded.dmpId } }, headers });
    expect(list.data!.items.map((d) => [d.documentId, d.title]).sort()).toEqual(seeded.documents.map((d) => [d.documentId, d.title]).sort());
    const log = await dmp.GET('/v1/records/{dmpId}/access-log', { params: { path: { dmpId: seeded.dmpId } }, headers });
    const read = log.data!.items.filter((e) => e.action === 'document.read');
    expect(read).toHaveLength(1);
    expect(read[0]).toMatchObject({ actor: { kind: 'professional', id: seeded.professionalId }, documentId: seeded.documents[0]!.documentId });
  });

  it("serves the page with the API's URL (escaped) and a policy that lets it call the API only", async () => {
    const page = await fetch(web.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain(`<meta name="dmp-api" content="${api.runtime.url}/?a=&quot;b&quot;&amp;c" />`);
    expect(html).toContain('<script type="module" src="/app.js"></script>');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`connect-src ${api.runtime.url};`);
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("default-src 'none'");
  });

  it('serves the bundled script, and nothing else', async () => {
    const script = await fetch(`${web.url}/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const code = await script.text();
    // The page's script with the typed client bundled in: no import left for the browser to resolve.
    expect(code).toContain('/v1/auth/patient/login');
    expect(code).not.toMatch(/\bimport\s*[{*"']/);
    expect((await fetch(`${web.url}/schema.d.ts`)).status).toBe(404);
    expect((await fetch(`${web.url}/../bin/local-web.ts`)).status).toBe(404);
    expect((await fetch(web.url, { method: 'POST', body: '{}' })).status).toBe(405);
  });
});
