/**
 * The browser as a client: the example page (examples/web), served on its own origin beside the
 * local runtime, driven in headless Chromium (Debian's /usr/bin/chromium through playwright-core, no
 * browser download). A patient logs in with password and the SMS code, sees the documents, masks
 * one, and reads the access log; CORS admits the page's origin and refuses another. Screenshots of
 * the page and of /docs are saved to test-artifacts/browser/.
 */
import { createServer, type Server } from 'node:http';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastSmsCode, seedPatient, type SeededPatient } from '../../examples/web/seed.ts';
import { startLocalWeb, type LocalWeb } from '../../bin/local-web.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/browser/', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let api: TestApi;
let web: LocalWeb;
/** A third origin, neither the API's nor the page's: a blank page the API must not answer to. */
let other: Server;
let otherUrl: string;
let browser: Browser;
let patient: SeededPatient;
const pageErrors: string[] = [];

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  let apiUrl = '';
  web = await startLocalWeb({ port: 0, apiUrl: () => apiUrl });
  api = await startTestApi({ allowedOrigin: web.url });
  apiUrl = api.runtime.url;
  other = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end('<!doctype html><title>another site</title><p>another site</p>'));
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  otherUrl = `http://localhost:${(other.address() as AddressInfo).port}`;
  patient = await seedPatient(apiUrl);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (other ? other.close(resolve) : resolve(undefined)));
  await web?.stop();
  await api?.stop();
});

const newPage = async (): Promise<Page> => {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return page;
};

/** What a script of `origin` gets from a fetch to the API: the status, or the error the browser raised. */
const fetchFrom = async (page: Page, url: string, init: { headers?: Record<string, string> } = {}): Promise<string> =>
  page.evaluate(
    async ([target, options]) => {
      try {
        const res = await fetch(target, options);
        return `status ${res.status}`;
      } catch (error) {
        return `failed: ${(error as Error).name}`;
      }
    },
    [url, init] as const,
  );

describe('the example page in Chromium', () => {
  it('walks a patient through login, SMS code, the documents, masking one and the access log', async () => {
    const page = await newPage();
    await page.goto(web.url);
    await page.fill('#login-id', patient.loginId);
    await page.fill('#password', patient.password);
    await page.click('#login-form button[type=submit]');
    await page.locator('#code-form').waitFor({ state: 'visible' });
    await expect.poll(() => page.textContent('#status')).toContain('SMS');

    // The code the patient's phone received: the emulator's SMS log.
    await page.fill('#code', await lastSmsCode(api.runtime.url, patient.mobile));
    await page.click('#code-form button[type=submit]');
    await page.locator('#record').waitFor({ state: 'visible' });
    expect(await page.textContent('#dmp-id')).toBe(patient.dmpId);

    const rows = page.locator('#documents tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    const titles = await page.locator('#documents tbody tr td:first-child').allTextContents();
    expect(titles.sort()).toEqual(patient.documents.map((d) => d.title).sort());
    await page.screenshot({ path: `${ARTIFACTS}page-documents.png`, fullPage: true });

    // Mask the second document from professionals.
    const target = patient.documents[1]!;
    const row = page.locator(`#documents tbody tr[data-document-id="${target.documentId}"]`);
    await row.getByRole('button', { name: 'Masquer' }).click();
    await expect.poll(() => page.textContent('#status')).toContain('masqué');
    await expect.poll(() => row.getAttribute('class')).toContain('masked');
    expect(await row.locator('td').nth(3).textContent()).toBe('masqué aux professionnels');
    expect(await row.getByRole('button').textContent()).toBe('Rendre visible');
    // The API agrees: the list its author (the doctor, who still sees it) gets marks it masked.
    const doctor = await api.professional({ professionalId: patient.professionalId });
    const asDoctor = await api.call('GET', `/v1/records/${patient.dmpId}/documents`, { token: doctor });
    expect(asDoctor.status).toBe(200);
    expect(asDoctor.body.items.find((d: { documentId: string }) => d.documentId === target.documentId)?.visibility.maskedToProfessionals).toBe(true);

    // The access log: the doctor's deposits and read, and the patient's mask, each a row.
    const log = page.locator('#access-log tbody tr');
    const ofTarget = page.locator(`#access-log tbody tr[data-document-id="${target.documentId}"]`);
    await expect.poll(async () => (await ofTarget.allTextContents()).filter((t) => t.includes('moi') && t.includes('document.update')).length).toBe(1);
    const entries = await log.allTextContents();
    for (const d of patient.documents) {
      expect(entries.some((t) => t.includes(`professional ${patient.professionalId}`) && t.includes('document.deposit') && t.includes(d.title))).toBe(true);
    }
    expect(entries.some((t) => t.includes('document.read') && t.includes(patient.documents[0]!.title))).toBe(true);
    expect(entries.filter((t) => t.includes('session.open'))).toHaveLength(2);
    expect(entries.every((t) => t.includes('autorisé'))).toBe(true);
    await page.locator('#access-log').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${ARTIFACTS}page-access-log.png`, fullPage: true });
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("CORS admits the page's origin and refuses another", async () => {
    const documents = `${api.runtime.url}/v1/records/${patient.dmpId}/documents`;
    const preflighted = { headers: { Authorization: 'Bearer not-a-token' } };

    // From the page's origin: the answers reach the script (a 401 for a bad token is an answer).
    const page = await newPage();
    await page.goto(web.url);
    expect(await fetchFrom(page, `${api.runtime.url}/openapi.json`)).toBe('status 200');
    expect(await fetchFrom(page, documents, preflighted)).toBe('status 401');

    // From another origin: the browser withholds both, the simple request and the preflighted one.
    const elsewhere = await newPage();
    await elsewhere.goto(otherUrl);
    expect(await fetchFrom(elsewhere, `${api.runtime.url}/openapi.json`)).toBe('failed: TypeError');
    expect(await fetchFrom(elsewhere, documents, preflighted)).toBe('failed: TypeError');

    // Why, as the browser saw it: the preflight names the page's origin, and no other.
    const preflight = (origin: string) =>
      fetch(documents, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' } });
    const admitted = await preflight(web.url);
    expect(admitted.headers.get('access-control-allow-origin')).toBe(web.url);
    expect(admitted.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const refused = await preflight(otherUrl);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await fetch(`${api.runtime.url}/openapi.json`, { headers: { Origin: otherUrl } });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
    await Promise.all([page.close(), elsewhere.close()]);
  });

  it('renders /docs, saved as a screenshot', async () => {
    const page = await newPage();
    const answer = await page.goto(`${api.runtime.url}/docs`, { waitUntil: 'networkidle' });
    expect(answer?.status()).toBe(200);
    // The reference names the API and its operations (by their summaries; Scalar shows the first group's open, the others collapsed).
    await expect.poll(async () => (await page.textContent('body')) ?? '').toContain('DMP API');
    await expect.poll(async () => (await page.textContent('body')) ?? '').toContain('Create a DMP with the express consent of the person');
    await page.screenshot({ path: `${ARTIFACTS}docs.png`, fullPage: false });
    await page.close();
  });
});
