// The Node peer: the same API cases the benchmark drives, written the way a
// typical Node service would be (express, jose, better-sqlite3), so that
// `scripts/bench.sh --peer` can measure both servers on one machine in one
// run. A measuring stick, not a product: only what scripts/bench.py calls.
//
// Same durability as the Rust server (WAL, synchronous = FULL), same token
// design (EdDSA access JWTs of 15 minutes naming the member, so /api/me
// answers from the token; refresh tokens in an HttpOnly cookie, stored as
// SHA-256 hashes, rotated on every use, reuse revokes the family), the same
// audit rows for a refresh and a song patch, and the same answers.
//
// What it does not have, as a typical service would not: the Rust server's
// memory of verified tokens and of the setlist list (a read there costs no
// signature check and no query), its group commit of refreshes and patches,
// and the refresh grace window. README, Performance, weighs them.
'use strict';

const crypto = require('node:crypto');
const express = require('express');
const Database = require('better-sqlite3');
const { SignJWT, jwtVerify, generateKeyPair } = require('jose');

const PORT = Number(process.env.PORT);
const PASSWORD = 'backstage-pass-1';
const ACCESS_SECS = 900;
const FAMILY_SECS = 30 * 24 * 3600;
const COOKIE = 'backstage_refresh';

const db = new Database(process.env.PEER_DB);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('foreign_keys = ON');
db.exec(`
  CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL,
    role TEXT NOT NULL, password_hash TEXT NOT NULL);
  CREATE TABLE refresh_families (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL, last_used_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked_at INTEGER);
  CREATE TABLE refresh_tokens (token_hash TEXT PRIMARY KEY, family_id TEXT NOT NULL REFERENCES refresh_families(id),
    issued_at INTEGER NOT NULL, spent_at INTEGER);
  CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
  CREATE TABLE audit_events (id TEXT PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL, actor_id TEXT,
    subject_id TEXT, ip TEXT, user_agent TEXT, detail TEXT);
  CREATE INDEX audit_events_at ON audit_events(at);
  CREATE TABLE setlists (id TEXT PRIMARY KEY, name TEXT NOT NULL, venue TEXT, show_date TEXT NOT NULL,
    version INTEGER NOT NULL, updated_at INTEGER NOT NULL);
  CREATE TABLE songs (id TEXT PRIMARY KEY, setlist_id TEXT NOT NULL REFERENCES setlists(id) ON DELETE CASCADE,
    position INTEGER NOT NULL, title TEXT NOT NULL, artist TEXT, duration_secs INTEGER, bpm INTEGER,
    key TEXT, notes TEXT NOT NULL DEFAULT '');
  CREATE INDEX songs_setlist ON songs(setlist_id, position);
`);

const now = () => Math.floor(Date.now() / 1000);
const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');
const hashPassword = (password, salt = crypto.randomBytes(16).toString('hex')) =>
  `${salt}:${crypto.scryptSync(password, salt, 32).toString('hex')}`;
const passwordMatches = (password, stored) => {
  const [salt, hash] = stored.split(':');
  return crypto.timingSafeEqual(Buffer.from(hash, 'hex'), crypto.scryptSync(password, salt, 32));
};

for (const [username, role] of [['manager', 'manager'], ['drummer', 'drummer']]) {
  db.prepare('INSERT INTO users VALUES (?, ?, ?, ?, ?)').run(crypto.randomUUID(), username, username, role, hashPassword(PASSWORD));
}

const q = {
  userByName: db.prepare('SELECT * FROM users WHERE username = ?'),
  newFamily: db.prepare('INSERT INTO refresh_families VALUES (?, ?, ?, ?, ?, NULL)'),
  newToken: db.prepare('INSERT INTO refresh_tokens VALUES (?, ?, ?, NULL)'),
  token: db.prepare(`SELECT t.spent_at, f.id AS family_id, f.expires_at, f.revoked_at,
    u.id, u.username, u.display_name, u.role FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id JOIN users u ON u.id = f.user_id
    WHERE t.token_hash = ?`),
  spend: db.prepare('UPDATE refresh_tokens SET spent_at = ? WHERE token_hash = ?'),
  touchFamily: db.prepare('UPDATE refresh_families SET last_used_at = ? WHERE id = ?'),
  revokeFamily: db.prepare('UPDATE refresh_families SET revoked_at = ? WHERE id = ?'),
  audit: db.prepare('INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
  list: db.prepare(`SELECT s.id, s.name, s.venue, s.show_date, s.version, count(g.id) AS song_count,
    coalesce(sum(g.duration_secs), 0) AS total_secs FROM setlists s LEFT JOIN songs g ON g.setlist_id = s.id
    GROUP BY s.id ORDER BY s.show_date`),
  setlist: db.prepare('SELECT id, name, venue, show_date, version FROM setlists WHERE id = ?'),
  songs: db.prepare('SELECT id, title, artist, duration_secs, bpm, key, notes FROM songs WHERE setlist_id = ? ORDER BY position'),
  newSetlist: db.prepare('INSERT INTO setlists VALUES (?, ?, ?, ?, 1, ?)'),
  newSong: db.prepare('INSERT INTO songs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
  patchSong: db.prepare('UPDATE songs SET bpm = coalesce(?, bpm), notes = coalesce(?, notes) WHERE id = ? AND setlist_id = ?'),
  bump: db.prepare('UPDATE setlists SET version = version + 1, updated_at = ? WHERE id = ?'),
};

let keys;
const publicUser = ({ id, username, display_name, role }) => ({ id, username, display_name, role });

const sign = (user, sid) =>
  new SignJWT({ preferred_username: user.username, name: user.display_name, role: user.role, sid })
    .setProtectedHeader({ alg: 'EdDSA' })
    .setSubject(user.id)
    .setIssuedAt()
    .setExpirationTime(`${ACCESS_SECS}s`)
    .setJti(crypto.randomUUID())
    .sign(keys.privateKey);

const audit = (kind, actor, subject, req, detail) =>
  q.audit.run(crypto.randomUUID(), now(), kind, actor, subject, req.ip, req.get('user-agent') ?? '', JSON.stringify(detail));

const setCookie = (res, token) =>
  res.cookie(COOKIE, token, { httpOnly: true, secure: true, sameSite: 'strict', path: '/api/auth', maxAge: FAMILY_SECS * 1000 });

const readCookie = (req) =>
  (req.get('cookie') ?? '').split(';').map((part) => part.trim().split('=')).find(([name]) => name === COOKIE)?.[1];

const refuse = (res, status, code) => res.status(status).json({ error: { code, message: code } });

async function authenticate(req, res, next) {
  const header = req.get('authorization') ?? '';
  if (!header.startsWith('Bearer ')) return refuse(res, 401, 'unauthorized');
  try {
    const { payload } = await jwtVerify(header.slice(7), keys.publicKey, { algorithms: ['EdDSA'] });
    req.user = { id: payload.sub, username: payload.preferred_username, display_name: payload.name, role: payload.role };
    next();
  } catch {
    refuse(res, 401, 'unauthorized');
  }
}

const fullSetlist = (id) => {
  const setlist = q.setlist.get(id);
  return setlist && { ...setlist, songs: q.songs.all(id) };
};

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '64kb' }));

app.get('/readyz', (req, res) => res.json({ status: 'ready' }));

// Express 4 does not catch a rejected promise: an async handler's error is
// handed to Express here, which answers 500, as it does for a thrown one.
const handle = (handler) => (req, res, next) => handler(req, res).catch(next);

app.post('/api/auth/login', handle(async (req, res) => {
  const { username, password } = req.body ?? {};
  const user = typeof username === 'string' && q.userByName.get(username);
  if (!user || typeof password !== 'string' || !passwordMatches(password, user.password_hash)) {
    return refuse(res, 401, 'invalid_credentials');
  }
  const token = crypto.randomBytes(32).toString('base64url');
  const family = crypto.randomUUID();
  const t = now();
  db.transaction(() => {
    q.newFamily.run(family, user.id, t, t, t + FAMILY_SECS);
    q.newToken.run(sha256(token), family, t);
    audit('login_succeeded', user.id, user.id, req, { session_id: family });
  })();
  const access = await sign(user, family);
  setCookie(res, token);
  res.json({ access_token: access, token_type: 'Bearer', expires_in: ACCESS_SECS, user: publicUser(user) });
}));

app.post('/api/auth/refresh', handle(async (req, res) => {
  const presented = readCookie(req);
  if (!presented) return refuse(res, 401, 'invalid_refresh_token');
  const successor = crypto.randomBytes(32).toString('base64url');
  const t = now();
  const outcome = db.transaction(() => {
    const found = q.token.get(sha256(presented));
    if (!found || found.revoked_at !== null || found.expires_at <= t) return null;
    if (found.spent_at !== null) {
      q.revokeFamily.run(t, found.family_id);
      audit('refresh_reuse_detected', found.id, found.id, req, { session_id: found.family_id });
      return null;
    }
    q.spend.run(t, sha256(presented));
    q.newToken.run(sha256(successor), found.family_id, t);
    q.touchFamily.run(t, found.family_id);
    audit('refreshed', found.id, found.id, req, { session_id: found.family_id });
    return found;
  })();
  if (!outcome) return refuse(res, 401, 'invalid_refresh_token');
  const access = await sign(outcome, outcome.family_id);
  setCookie(res, successor);
  res.json({ access_token: access, token_type: 'Bearer', expires_in: ACCESS_SECS, user: publicUser(outcome) });
}));

app.get('/api/me', authenticate, (req, res) => res.json(req.user));

app.get('/api/setlists', authenticate, (req, res) => res.json(q.list.all()));

app.get('/api/setlists/:id', authenticate, (req, res) => {
  const setlist = fullSetlist(req.params.id);
  return setlist ? res.json(setlist) : refuse(res, 404, 'not_found');
});

app.post('/api/setlists', authenticate, (req, res) => {
  if (req.user.role !== 'manager') return refuse(res, 403, 'forbidden');
  const { name, venue = null, show_date, songs = [] } = req.body ?? {};
  if (typeof name !== 'string' || typeof show_date !== 'string' || !Array.isArray(songs)) {
    return refuse(res, 422, 'validation_failed');
  }
  const id = crypto.randomUUID();
  db.transaction(() => {
    q.newSetlist.run(id, name, venue, show_date, now());
    songs.forEach((s, i) =>
      q.newSong.run(crypto.randomUUID(), id, i, s.title, s.artist ?? null, s.duration_secs ?? null, s.bpm ?? null, s.key ?? null, s.notes ?? ''),
    );
    audit('setlist_created', req.user.id, null, req, { setlist_id: id, name });
  })();
  res.status(201).json(fullSetlist(id));
});

app.patch('/api/setlists/:id/songs/:songId', authenticate, (req, res) => {
  if (req.user.role !== 'manager' && req.user.role !== 'drummer') return refuse(res, 403, 'forbidden');
  const { bpm = null, notes = null } = req.body ?? {};
  if ((bpm !== null && !(Number.isInteger(bpm) && bpm >= 20 && bpm <= 400)) || (notes !== null && typeof notes !== 'string')) {
    return refuse(res, 422, 'validation_failed');
  }
  const { id, songId } = req.params;
  const patched = db.transaction(() => {
    if (q.patchSong.run(bpm, notes, songId, id).changes === 0) return false;
    q.bump.run(now(), id);
    audit('song_patched', req.user.id, null, req, { setlist_id: id, song_id: songId });
    return true;
  })();
  return patched ? res.json(fullSetlist(id)) : refuse(res, 404, 'not_found');
});

generateKeyPair('EdDSA').then((pair) => {
  keys = pair;
  app.listen(PORT, '127.0.0.1');
});
