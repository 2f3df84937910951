/** Types of network-guard.mjs (plain JavaScript so node children load it without tsx). */

/** NODE_OPTIONS that put the guard into a spawned node process. */
export declare const GUARD_NODE_OPTIONS: string;

/** Attempts refused so far in this process. */
export declare const violations: string[];

/** Whether `host` names this machine: loopback, or an address of one of its own interfaces. */
export declare function isLoopbackHost(host: string): boolean;
