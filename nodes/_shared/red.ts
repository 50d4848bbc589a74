/** The small part of the Node-RED runtime API our nodes use (Node-RED 4), typed here to avoid a dependency. */
export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export interface NodeMessage {
  _msgid?: string;
  topic?: string;
  payload?: unknown;
  [key: string]: unknown;
}

export type SendFn = (msg: NodeMessage | Array<NodeMessage | null> | null) => void;
export type DoneFn = (err?: Error) => void;

export interface Node {
  id: string;
  name?: string;
  credentials?: Record<string, string | undefined>;
  on(event: 'input', cb: (msg: NodeMessage, send: SendFn, done: DoneFn) => void): void;
  on(event: 'close', cb: (removed: boolean, done: () => void) => void): void;
  send(msg: NodeMessage | Array<NodeMessage | null> | null): void;
  status(s: NodeStatus | Record<string, never>): void;
  error(err: unknown, msg?: NodeMessage): void;
  warn(m: unknown): void;
  log(m: unknown): void;
}

export interface NodeAPI {
  nodes: {
    createNode(node: Node, config: unknown): void;
    registerType(type: string, ctor: (this: Node, config: any) => void, opts?: { credentials?: Record<string, { type: 'text' | 'password' }> }): void;
    getNode(id: string): unknown;
  };
  httpAdmin?: { get(path: string, ...handlers: Array<(req: any, res: any, next?: any) => void>): void };
  auth?: { needsPermission(p: string): (req: any, res: any, next: any) => void };
  _(key: string, subs?: Record<string, unknown>): string;
}
