/**
 * The in-memory model of one AWS account's IAM users, access keys, root keys and credential report,
 * served over IAM's wire protocol by `server.ts`. Users are indexed by name and keys by id, so every per-user
 * or per-key call is O(1) however large the account.
 *
 * Tests mutate the account after a credential report was generated to simulate drift: the report is a
 * snapshot, the other calls always read the live state.
 */
import { renderCredentialReport } from './credential-report';

export type FakeKeyStatus = 'Active' | 'Inactive';

/** An IAM tag as the API carries it. */
export interface FakeTag {
  Key: string;
  Value: string;
}

/** Where and when a key last signed a request. */
export interface FakeLastUsed {
  date: Date;
  /** Service namespace, such as `s3`. */
  service: string;
  region: string;
}

export interface FakeAccessKey {
  /** `AKIA` and 16 uppercase letters or digits. */
  accessKeyId: string;
  userName: string;
  status: FakeKeyStatus;
  createDate: Date;
  /** Absent when the key has never been used. */
  lastUsed?: FakeLastUsed;
}

/** A console password; absent on a user who has none. */
export interface FakePassword {
  /** When it was set (the report's `password_last_changed`). */
  lastChanged: Date;
  /** Absent when it was never used (the report says `no_information`). */
  lastUsed?: Date;
}

export interface FakeUser {
  userName: string;
  /** `AIDA` and 17 uppercase letters or digits. */
  userId: string;
  /** `arn:aws:iam::<account>:user/<name>`. */
  arn: string;
  path: string;
  createDate: Date;
  tags: FakeTag[];
  /** At most two, in the order they were added. */
  keys: FakeAccessKey[];
  password?: FakePassword;
  mfaActive: boolean;
}

/** An access key of the root user; the credential report shows no id for it. */
export interface FakeRootKey {
  active: boolean;
  createDate: Date;
  lastUsed?: FakeLastUsed;
}

export interface FakeRoot {
  /** When the account was created (the report's `user_creation_time` for root). */
  createDate: Date;
  /** When the root password last signed in; absent means `no_information`. */
  passwordLastUsed?: Date;
  mfaActive: boolean;
  /** At most two. */
  keys: FakeRootKey[];
}

/** The account's credential report: a CSV snapshot, and how many more polls see it still in progress. */
export interface CredentialReportState {
  csv: string;
  generatedAt: Date;
  /** Calls (GenerateCredentialReport or GetCredentialReport) still to answer "in progress". */
  pendingPolls: number;
}

export interface FakeIamAccountProps {
  /** 12 digits. */
  accountId: string;
  /** The account alias, or none. */
  alias?: string;
  /** When the account (its root user) was created. Default 2020-01-01. */
  createDate?: Date;
  /** Seeds the generator of user and key ids, so that a rebuilt account gets the same ids. Default 1. */
  seed?: number;
}

export interface AddUserInput {
  userName: string;
  createDate: Date;
  tags?: FakeTag[];
  /** Generated when omitted. */
  userId?: string;
  path?: string;
  password?: FakePassword;
  mfaActive?: boolean;
}

export interface AddKeyInput {
  createDate: Date;
  /** Default `Active`. */
  status?: FakeKeyStatus;
  lastUsed?: FakeLastUsed;
  /** Generated when omitted. */
  accessKeyId?: string;
  /** Stored as IAM stores a key's description: a user tag whose key is the access key id. */
  description?: string;
}

const USER_NAME = /^[\w+=,.@-]{1,64}$/;
const ACCOUNT_ID = /^\d{12}$/;
const ACCESS_KEY_ID = /^AKIA[A-Z0-9]{16}$/;
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MAX_KEYS = 2;

/**
 * `Math.imul`, bound once: in a `vm` context (as under Jest) every lookup of a global such as `Math` goes through
 * the context's interceptors, which made each call of the generator below about 30 times slower there.
 */
const imul = Math.imul;

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Compares user names as the list calls order them: by UTF-16 code unit. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class FakeIamAccount {
  readonly accountId: string;
  alias: string | undefined;
  readonly root: FakeRoot;
  /** The last report generated, or none. */
  credentialReport: CredentialReportState | undefined;

  /** Users by lower-cased name: IAM user names are unique regardless of case. */
  private readonly usersByName = new Map<string, FakeUser>();
  private readonly keysById = new Map<string, FakeAccessKey>();
  private sortedNames: string[] | undefined;
  private readonly random: () => number;

  constructor(props: FakeIamAccountProps) {
    if (!ACCOUNT_ID.test(props.accountId)) {
      throw new Error(`accountId must be 12 digits; got ${JSON.stringify(props.accountId)}`);
    }
    this.accountId = props.accountId;
    this.alias = props.alias;
    this.root = {
      createDate: props.createDate ?? new Date('2020-01-01T00:00:00Z'),
      mfaActive: false,
      keys: [],
    };
    this.random = seededRandom(props.seed ?? 1);
  }

  get userCount(): number {
    return this.usersByName.size;
  }

  get keyCount(): number {
    return this.keysById.size;
  }

  /** The users in the order they were added. */
  users(): IterableIterator<FakeUser> {
    return this.usersByName.values();
  }

  /** The user names in list order (sorted); cached until a user is added or deleted. */
  userNamesInListOrder(): readonly string[] {
    this.sortedNames ??= [...this.usersByName.values()].map((user) => user.userName).sort(compareNames);
    return this.sortedNames;
  }

  /** The index in `userNamesInListOrder()` of the first name after `userName` (which need not exist). */
  listIndexAfter(userName: string): number {
    const names = this.userNamesInListOrder();
    let low = 0;
    let high = names.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareNames(names[mid] as string, userName) <= 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The user of that name (any case), or undefined. */
  getUser(userName: string): FakeUser | undefined {
    return this.usersByName.get(userName.toLowerCase());
  }

  /** The key of that id, or undefined. */
  getKey(accessKeyId: string): FakeAccessKey | undefined {
    return this.keysById.get(accessKeyId);
  }

  userArn(userName: string): string {
    return `arn:aws:iam::${this.accountId}:user/${userName}`;
  }

  addUser(input: AddUserInput): FakeUser {
    if (!USER_NAME.test(input.userName)) {
      throw new Error(
        `user name must be 1-64 of letters, digits and +=,.@_-; got ${JSON.stringify(input.userName)}`,
      );
    }
    if (this.getUser(input.userName)) throw new Error(`user ${input.userName} already exists`);
    const user: FakeUser = {
      userName: input.userName,
      userId: input.userId ?? this.newId('AIDA', 17),
      arn: this.userArn(input.userName),
      path: input.path ?? '/',
      createDate: input.createDate,
      tags: (input.tags ?? []).map((tag) => ({ ...tag })),
      keys: [],
      password: input.password,
      mfaActive: input.mfaActive ?? false,
    };
    this.usersByName.set(user.userName.toLowerCase(), user);
    this.sortedNames = undefined;
    return user;
  }

  /** Deletes a user and its keys. */
  deleteUser(userName: string): void {
    const user = this.requireUser(userName);
    for (const key of user.keys) this.keysById.delete(key.accessKeyId);
    this.usersByName.delete(user.userName.toLowerCase());
    this.sortedNames = undefined;
  }

  addKey(userName: string, input: AddKeyInput): FakeAccessKey {
    const user = this.requireUser(userName);
    if (user.keys.length >= MAX_KEYS)
      throw new Error(`user ${user.userName} already has ${MAX_KEYS} access keys`);
    const accessKeyId = input.accessKeyId ?? this.newKeyId();
    if (!ACCESS_KEY_ID.test(accessKeyId)) {
      throw new Error(`access key id must be AKIA and 16 uppercase letters or digits; got ${accessKeyId}`);
    }
    if (this.keysById.has(accessKeyId)) throw new Error(`access key ${accessKeyId} already exists`);
    const key: FakeAccessKey = {
      accessKeyId,
      userName: user.userName,
      status: input.status ?? 'Active',
      createDate: input.createDate,
      lastUsed: input.lastUsed,
    };
    user.keys.push(key);
    this.keysById.set(accessKeyId, key);
    if (input.description !== undefined) this.setTag(user.userName, accessKeyId, input.description);
    return key;
  }

  /** Deletes a key. Like DeleteAccessKey, leaves its description tag on the user. */
  deleteKey(accessKeyId: string): void {
    const key = this.requireKey(accessKeyId);
    const user = this.requireUser(key.userName);
    user.keys = user.keys.filter((k) => k.accessKeyId !== accessKeyId);
    this.keysById.delete(accessKeyId);
  }

  setKeyStatus(accessKeyId: string, status: FakeKeyStatus): void {
    this.requireKey(accessKeyId).status = status;
  }

  /** Records that the key signed a request. */
  recordKeyUse(accessKeyId: string, use: FakeLastUsed): void {
    this.requireKey(accessKeyId).lastUsed = { ...use };
  }

  /** Rotates a key as a person would: creates a new key for its user, then deletes the old one. */
  rotateKey(accessKeyId: string, createDate: Date): FakeAccessKey {
    const old = this.requireKey(accessKeyId);
    const user = this.requireUser(old.userName);
    // Delete first when the user already holds two keys, so the new one fits.
    if (user.keys.length >= MAX_KEYS) {
      this.deleteKey(accessKeyId);
      return this.addKey(user.userName, { createDate });
    }
    const fresh = this.addKey(user.userName, { createDate });
    this.deleteKey(accessKeyId);
    return fresh;
  }

  /** Sets (adds or replaces) a user tag. */
  setTag(userName: string, key: string, value: string): void {
    const user = this.requireUser(userName);
    const existing = user.tags.find((tag) => tag.Key === key);
    if (existing) existing.Value = value;
    else user.tags.push({ Key: key, Value: value });
  }

  removeTag(userName: string, key: string): void {
    const user = this.requireUser(userName);
    user.tags = user.tags.filter((tag) => tag.Key !== key);
  }

  /** Adds an access key to the root user (at most two). */
  addRootKey(key: FakeRootKey): FakeRootKey {
    if (this.root.keys.length >= MAX_KEYS)
      throw new Error(`the root user already has ${MAX_KEYS} access keys`);
    const stored = { ...key };
    this.root.keys.push(stored);
    return stored;
  }

  /**
   * Takes a credential report snapshot of the account as it is now, stamped `generatedAt`, which answers
   * "in progress" for `pendingPolls` more polls. Replaces any earlier report.
   */
  generateCredentialReport(generatedAt: Date, pendingPolls = 0): CredentialReportState {
    this.credentialReport = { csv: renderCredentialReport(this), generatedAt, pendingPolls };
    return this.credentialReport;
  }

  private requireUser(userName: string): FakeUser {
    const user = this.getUser(userName);
    if (!user) throw new Error(`no user named ${userName}`);
    return user;
  }

  private requireKey(accessKeyId: string): FakeAccessKey {
    const key = this.keysById.get(accessKeyId);
    if (!key) throw new Error(`no access key ${accessKeyId}`);
    return key;
  }

  private newKeyId(): string {
    for (;;) {
      const id = this.newId('AKIA', 16);
      if (!this.keysById.has(id)) return id;
    }
  }

  private newId(prefix: string, length: number): string {
    let id = prefix;
    // `| 0` rounds down (the index is small and never negative) without a lookup of `Math` for each character.
    for (let i = 0; i < length; i++) id += ID_ALPHABET[(this.random() * ID_ALPHABET.length) | 0];
    return id;
  }
}
