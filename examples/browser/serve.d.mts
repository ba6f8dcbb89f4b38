/** Serves `mounts` (URL prefix → folder) on 127.0.0.1 with COOP/COEP headers and tfjs-backend-wasm's files under /wasm/. */
export function serveStatic(options: { mounts: Record<string, string>; isolated?: boolean; port?: number }): Promise<{ url: string; close: () => Promise<void> }>;
