import { afterAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configPath, loadTarget } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(content: string, mode = 0o600): string {
  const path = join(dir, `config-${++n}.json`);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}
const KEY = 'plk_secret_0123456789';
const load = (env: Record<string, string>, warnings: string[] = []) =>
  loadTarget({ HOME: dir, ...env }, (line) => warnings.push(line));

describe('loadTarget', () => {
  it('takes PILLAR_LOOP_URL and PILLAR_LOOP_KEY, trimming a trailing slash and keeping a path prefix', () => {
    expect(load({ PILLAR_LOOP_URL: 'https://ops.example.com/pillar/', PILLAR_LOOP_KEY: KEY })).toEqual({
      url: 'https://ops.example.com/pillar',
      key: KEY,
      keySource: 'PILLAR_LOOP_KEY',
    });
  });

  it('falls back to a 0600 config file, the environment winning field by field', () => {
    const path = file(JSON.stringify({ url: 'https://a.example.com', key: KEY }));
    expect(load({ PILLAR_LOOP_CONFIG: path })).toEqual({ url: 'https://a.example.com', key: KEY, keySource: path });
    expect(load({ PILLAR_LOOP_CONFIG: path, PILLAR_LOOP_URL: 'https://b.example.com' }).url).toBe(
      'https://b.example.com',
    );
  });

  it('finds the file under XDG_CONFIG_HOME, else ~/.config', () => {
    expect(configPath({ XDG_CONFIG_HOME: '/x' }).path).toBe('/x/pillar-loop/config.json');
    expect(configPath({ HOME: '/home/o' }).path).toBe('/home/o/.config/pillar-loop/config.json');
    mkdirSync(join(dir, 'xdg', 'pillar-loop'), { recursive: true });
    writeFileSync(
      join(dir, 'xdg', 'pillar-loop', 'config.json'),
      JSON.stringify({ url: 'https://c.example.com', key: KEY }),
      { mode: 0o600 },
    );
    expect(load({ XDG_CONFIG_HOME: join(dir, 'xdg') }).url).toBe('https://c.example.com');
  });

  it('refuses a config file others may read or write, naming the fix and never the key', () => {
    for (const mode of [0o644, 0o640, 0o602]) {
      const path = file(JSON.stringify({ url: 'https://a.example.com', key: KEY }), mode);
      const refusal = () => load({ PILLAR_LOOP_CONFIG: path, PILLAR_LOOP_KEY: KEY });
      expect(refusal).toThrow(
        `config file ${path} is open to other users (mode 0${mode.toString(8)}) and holds an API key: chmod 600 ${path}`,
      );
    }
  });

  it('does not read the file at all when both variables are set: a stale, open or broken one is no obstacle', () => {
    const both = { PILLAR_LOOP_URL: 'https://b.example.com', PILLAR_LOOP_KEY: KEY };
    const target = { url: 'https://b.example.com', key: KEY, keySource: 'PILLAR_LOOP_KEY' };
    mkdirSync(join(dir, 'stale', 'pillar-loop'), { recursive: true });
    const stale = join(dir, 'stale', 'pillar-loop', 'config.json');
    writeFileSync(stale, '{"url": "https://old.example.com", key', { mode: 0o644 });
    chmodSync(stale, 0o644);
    expect(load({ ...both, XDG_CONFIG_HOME: join(dir, 'stale') })).toEqual(target);
    // Named by PILLAR_LOOP_CONFIG, or not there: the same, nothing of it would be used.
    expect(load({ ...both, PILLAR_LOOP_CONFIG: file('{"url":', 0o644) })).toEqual(target);
    expect(load({ ...both, PILLAR_LOOP_CONFIG: join(dir, 'absent.json') })).toEqual(target);
    // With one of them unset the file is read, and refused as before.
    expect(() => load({ PILLAR_LOOP_KEY: KEY, XDG_CONFIG_HOME: join(dir, 'stale') })).toThrow(/is open to other users/);
  });

  it('says what is missing or wrong without echoing the file, which holds the key', () => {
    expect(() => load({ PILLAR_LOOP_KEY: KEY })).toThrow(
      `no service URL: set PILLAR_LOOP_URL, or "url" in ${join(dir, '.config/pillar-loop/config.json')}`,
    );
    expect(() => load({ PILLAR_LOOP_URL: 'https://a.example.com' })).toThrow(/^no API key: set PILLAR_LOOP_KEY/);
    expect(() => load({ PILLAR_LOOP_CONFIG: join(dir, 'absent.json') })).toThrow(
      /cannot read config file .*absent\.json \(ENOENT\)/,
    );
    const broken = file(`{"key": "${KEY}", url}`);
    expect(() => load({ PILLAR_LOOP_CONFIG: broken })).toThrow(new Error(`config file ${broken} is not valid JSON`));
    const typo = file(JSON.stringify({ url: 'https://a.example.com', apiKey: KEY }));
    expect(() => load({ PILLAR_LOOP_CONFIG: typo })).toThrow('unknown field apiKey (only url and key)');
  });

  it('refuses a URL that carries credentials or a query, or is not http(s): the key goes in a header only', () => {
    const key = { PILLAR_LOOP_KEY: KEY };
    expect(() => load({ ...key, PILLAR_LOOP_URL: `https://me:${KEY}@a.example.com` })).toThrow(
      /must not carry a user or password/,
    );
    expect(() => load({ ...key, PILLAR_LOOP_URL: `https://a.example.com/?key=${KEY}` })).toThrow(
      /must not carry a query/,
    );
    // Bare: URL's search and hash are empty, but its href keeps them, and requests went to `/pillar?/incidents`.
    for (const bare of ['https://a.example.com/pillar?', 'https://a.example.com/pillar#', 'https://a.example.com/?#'])
      expect(() => load({ ...key, PILLAR_LOOP_URL: bare })).toThrow(
        'PILLAR_LOOP_URL must not carry a query or fragment (nothing from "?" or "#" on)',
      );
    expect(() => load({ ...key, PILLAR_LOOP_URL: 'ftp://a.example.com' })).toThrow(/must be an http or https URL/);
    expect(() => load({ ...key, PILLAR_LOOP_URL: 'a.example.com' })).toThrow(/is not a URL/);
  });

  it('refuses a key with a control character or one outside visible ASCII, saying so and never echoing it', () => {
    const url = { PILLAR_LOOP_URL: 'https://a.example.com' };
    const control = 'contains a control character';
    const outside =
      'contains a character outside ASCII (a typographic quote or dash pasted in?): a key is visible ASCII only';
    for (const [key, why] of [
      ['plk_sec\x01ret', control],
      ['plk_sec\x7fret', control],
      ['plk_sec\u2019ret', outside],
      ['plk_sec\u00e9ret', outside],
    ]) {
      // The whole message: nothing of the key in it.
      expect(() => load({ ...url, PILLAR_LOOP_KEY: key })).toThrow(
        new Error(`the API key from PILLAR_LOOP_KEY ${why}`),
      );
    }
    const path = file(JSON.stringify({ url: 'https://a.example.com', key: 'plk_sec\u2019ret' }));
    expect(() => load({ PILLAR_LOOP_CONFIG: path })).toThrow(new Error(`the API key from ${path} ${outside}`));
    const punctuated = 'plk_!#$%&*+-./:;<=>?@[]^_`{|}~09AZaz';
    expect(load({ ...url, PILLAR_LOOP_KEY: punctuated }).key).toBe(punctuated);
  });

  it('warns when the key would cross a network in clear, not on loopback', () => {
    const warnings: string[] = [];
    load({ PILLAR_LOOP_KEY: KEY, PILLAR_LOOP_URL: 'http://127.0.0.1:3000' }, warnings);
    load({ PILLAR_LOOP_KEY: KEY, PILLAR_LOOP_URL: 'http://localhost:3000' }, warnings);
    expect(warnings).toEqual([]);
    load({ PILLAR_LOOP_KEY: KEY, PILLAR_LOOP_URL: 'http://ops.example.com' }, warnings);
    expect(warnings).toEqual(['warning: the API key goes to ops.example.com over plain http; use https']);
  });
});
