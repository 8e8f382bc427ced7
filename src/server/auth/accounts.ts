/**
 * Who the users of a local server are, as the account endpoints describe them: one
 * organization, one member per API key, identity derived from the user id (never from the key),
 * and roles (the admin role may read the audit log and the whole organization's usage).
 * @module
 */

/** How the service names a user: an org-user URN, an email and a display name. */
export interface Identity {
  org_user_urn: string;
  email: string;
  user_name: string;
}

/** The organization's name on a local server. */
export const ORG_NAME = "tinkex serve";

/** One member: their key's public id and name, identity and role. */
export interface Account extends Identity {
  userId: string;
  keyId: number;
  keyName: string;
  admin: boolean;
}

/** The members of a local server's organization, by user id. */
export class Accounts {
  readonly #byUser = new Map<string, Account>();

  /** Build from the user ids in key order; `admins` are the user ids holding the admin role. */
  constructor(userIds: readonly string[], admins: ReadonlySet<string>) {
    userIds.forEach((userId, i) => {
      this.#byUser.set(userId, {
        ...identityOf(userId),
        userId,
        keyId: i + 1,
        keyName: `local-key-${i + 1}`,
        admin: admins.has(userId),
      });
    });
  }

  /** The member with this user id. */
  of(userId: string): Account | undefined {
    return this.#byUser.get(userId);
  }

  /** Whether the user holds the admin role. */
  isAdmin(userId: string): boolean {
    return this.#byUser.get(userId)?.admin === true;
  }
}

/** The identity of a user id, stable across restarts. */
export function identityOf(userId: string): Identity {
  return {
    org_user_urn: `tml:organization_user:${userId}`,
    email: `${userId}@tinkex.local`,
    user_name: userId,
  };
}
