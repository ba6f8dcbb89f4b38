import { GanKitError } from '@gankit/core';

/** A value a restricted unpickler can produce. Dicts become `Map`s (key order kept), tuples and lists arrays. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | Map<PickleValue, PickleValue>
  | PickleObject;

/** An object built by an allowed global (a tensor, a storage reference...): opaque to the pickle machine. */
export interface PickleObject {
  readonly pickleKind: string;
}

/** A global the unpickler may call, identified as `module.name`. */
export type AllowedGlobal = (args: PickleValue[]) => PickleValue;

/** What the unpickler needs from its caller. */
export interface UnpickleOptions {
  /** Allowed globals by `module.name`; every other global is refused with `UNSAFE_PICKLE`. */
  globals: ReadonlyMap<string, AllowedGlobal | PickleObject>;
  /** Resolves a persistent id (how torch refers to tensor storages); absent → persistent ids are refused. */
  persistentLoad?: (pid: PickleValue) => PickleValue;
  /** Names the file in error messages. */
  source: string;
}

/** The result of one pickle: its value and the offset just after its STOP opcode. */
export interface UnpickleResult {
  value: PickleValue;
  end: number;
}

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK | GlobalRef;

class GlobalRef {
  constructor(
    readonly name: string,
    readonly target: AllowedGlobal | PickleObject,
  ) {}
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });
const latin1Decoder = new TextDecoder('latin1');

/** Opcodes that would import or instantiate arbitrary classes in text form; refused outright. */
const UNSAFE_OPCODES = new Map<number, string>([
  [0x69, 'INST'],
  [0x6f, 'OBJ'],
  [0x82, 'EXT1'],
  [0x83, 'EXT2'],
  [0x84, 'EXT4'],
  [0x92, 'NEWOBJ_EX'],
]);

/**
 * A restricted pickle reader (protocols 0–5, the binary opcodes torch.save emits). It never imports or calls
 * anything outside `options.globals`: a pickle naming any other global (e.g. `os.system` planted through
 * `__reduce__`) raises `GanKitError('UNSAFE_PICKLE')` before anything is called.
 */
export function unpickle(bytes: Uint8Array, start: number, options: UnpickleOptions): UnpickleResult {
  return new Unpickler(bytes, start, options).run();
}

class Unpickler {
  private pos: number;
  private readonly stack: StackItem[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, StackItem>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly options: UnpickleOptions,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(): UnpickleResult {
    for (;;) {
      const at = this.pos;
      const op = this.u8();
      if (op === 0x2e /* STOP */) {
        const value = this.pop();
        if (value === MARK || value instanceof GlobalRef) throw this.corrupt(at, 'STOP with no value on the stack');
        return { value, end: this.pos };
      }
      this.step(op, at);
    }
  }

  private step(op: number, at: number): void {
    switch (op) {
      case 0x80 /* PROTO */:
        this.u8();
        return;
      case 0x95 /* FRAME */:
        this.take(8);
        return;
      case 0x28 /* MARK */:
        this.marks.push(this.stack.length);
        this.stack.push(MARK);
        return;
      case 0x30 /* POP */:
        this.pop();
        return;
      case 0x31 /* POP_MARK */:
        this.popMark(at);
        return;
      case 0x32 /* DUP */:
        this.stack.push(this.peek(at));
        return;
      case 0x4e /* NONE */:
        this.stack.push(null);
        return;
      case 0x88 /* NEWTRUE */:
        this.stack.push(true);
        return;
      case 0x89 /* NEWFALSE */:
        this.stack.push(false);
        return;
      case 0x4a /* BININT */:
        this.stack.push(this.view.getInt32(this.advance(4), true));
        return;
      case 0x4b /* BININT1 */:
        this.stack.push(this.u8());
        return;
      case 0x4d /* BININT2 */:
        this.stack.push(this.view.getUint16(this.advance(2), true));
        return;
      case 0x8a /* LONG1 */:
        this.stack.push(this.long(this.u8()));
        return;
      case 0x8b /* LONG4 */:
        this.stack.push(this.long(this.length32(at)));
        return;
      case 0x47 /* BINFLOAT */:
        this.stack.push(this.view.getFloat64(this.advance(8), false));
        return;
      case 0x58 /* BINUNICODE */:
        this.stack.push(this.utf8(this.length32(at), at));
        return;
      case 0x8c /* SHORT_BINUNICODE */:
        this.stack.push(this.utf8(this.u8(), at));
        return;
      case 0x8d /* BINUNICODE8 */:
        this.stack.push(this.utf8(this.length64(at), at));
        return;
      case 0x54 /* BINSTRING */:
        this.stack.push(latin1Decoder.decode(this.take(this.length32(at))));
        return;
      case 0x55 /* SHORT_BINSTRING */:
        this.stack.push(latin1Decoder.decode(this.take(this.u8())));
        return;
      case 0x42 /* BINBYTES */:
        this.stack.push(this.take(this.length32(at)).slice());
        return;
      case 0x43 /* SHORT_BINBYTES */:
        this.stack.push(this.take(this.u8()).slice());
        return;
      case 0x8e /* BINBYTES8 */:
        this.stack.push(this.take(this.length64(at)).slice());
        return;
      case 0x29 /* EMPTY_TUPLE */:
        this.stack.push([]);
        return;
      case 0x85 /* TUPLE1 */:
      case 0x86 /* TUPLE2 */:
      case 0x87 /* TUPLE3 */: {
        const n = op - 0x84;
        const items = this.popN(n, at);
        this.stack.push(items);
        return;
      }
      case 0x74 /* TUPLE */:
      case 0x6c /* LIST */:
        this.stack.push(this.popMark(at));
        return;
      case 0x5d /* EMPTY_LIST */:
        this.stack.push([]);
        return;
      case 0x7d /* EMPTY_DICT */:
        this.stack.push(new Map());
        return;
      case 0x64 /* DICT */: {
        const items = this.popMark(at);
        const dict = new Map<PickleValue, PickleValue>();
        this.setItems(dict, items, at);
        this.stack.push(dict);
        return;
      }
      case 0x61 /* APPEND */: {
        const item = this.popValue(at);
        this.listAt(at).push(item);
        return;
      }
      case 0x65 /* APPENDS */: {
        const items = this.popMark(at);
        this.listAt(at).push(...items);
        return;
      }
      case 0x73 /* SETITEM */: {
        const value = this.popValue(at);
        const key = this.popValue(at);
        this.dictAt(at).set(key, value);
        return;
      }
      case 0x75 /* SETITEMS */: {
        const items = this.popMark(at);
        this.setItems(this.dictAt(at), items, at);
        return;
      }
      case 0x71 /* BINPUT */:
        this.memo.set(this.u8(), this.peek(at));
        return;
      case 0x72 /* LONG_BINPUT */:
        this.memo.set(this.view.getUint32(this.advance(4), true), this.peek(at));
        return;
      case 0x94 /* MEMOIZE */:
        this.memo.set(this.memo.size, this.peek(at));
        return;
      case 0x68 /* BINGET */:
        this.stack.push(this.memoGet(this.u8(), at));
        return;
      case 0x6a /* LONG_BINGET */:
        this.stack.push(this.memoGet(this.view.getUint32(this.advance(4), true), at));
        return;
      case 0x63 /* GLOBAL */: {
        const module = this.line(at);
        const name = this.line(at);
        this.stack.push(this.resolveGlobal(module, name));
        return;
      }
      case 0x93 /* STACK_GLOBAL */: {
        const name = this.popValue(at);
        const module = this.popValue(at);
        if (typeof module !== 'string' || typeof name !== 'string') throw this.corrupt(at, 'STACK_GLOBAL needs two strings');
        this.stack.push(this.resolveGlobal(module, name));
        return;
      }
      case 0x52 /* REDUCE */:
      case 0x81 /* NEWOBJ */: {
        const args = this.popValue(at);
        const callable = this.pop();
        if (!(callable instanceof GlobalRef)) throw this.unsafe(at, 'REDUCE/NEWOBJ on something that is not an allowed global');
        if (!Array.isArray(args)) throw this.corrupt(at, 'REDUCE arguments are not a tuple');
        if (typeof callable.target !== 'function') throw this.unsafe(at, `${callable.name} cannot be called`);
        this.stack.push(callable.target(args));
        return;
      }
      case 0x62 /* BUILD */: {
        this.popValue(at); // state (e.g. the `_metadata` of a state_dict): not applied, nothing runs
        const target = this.peek(at);
        if (!(target instanceof Map) && !isPickleObject(target)) throw this.unsafe(at, 'BUILD on an object that is not a dict or tensor');
        return;
      }
      case 0x51 /* BINPERSID */: {
        const pid = this.popValue(at);
        if (!this.options.persistentLoad) throw this.unsafe(at, 'persistent ids are not allowed here');
        this.stack.push(this.options.persistentLoad(pid));
        return;
      }
      default: {
        const unsafe = UNSAFE_OPCODES.get(op);
        if (unsafe !== undefined) throw this.unsafe(at, `opcode ${unsafe} is not allowed`);
        throw this.corrupt(at, `unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
      }
    }
  }

  private resolveGlobal(module: string, name: string): GlobalRef {
    const full = `${module}.${name}`;
    const target = this.options.globals.get(full);
    if (target === undefined) {
      throw new GanKitError(
        'UNSAFE_PICKLE',
        `${this.options.source} refers to the Python global "${full}", which is not allowed: a checkpoint may only build tensors and dicts ` +
          `(allowed: ${[...this.options.globals.keys()].join(', ')}); nothing was executed`,
        { path: this.options.source },
      );
    }
    return new GlobalRef(full, target);
  }

  private setItems(dict: Map<PickleValue, PickleValue>, items: PickleValue[], at: number): void {
    if (items.length % 2 !== 0) throw this.corrupt(at, 'odd number of items for a dict');
    for (let i = 0; i < items.length; i += 2) dict.set(items[i] ?? null, items[i + 1] ?? null);
  }

  private listAt(at: number): PickleValue[] {
    const top = this.peek(at);
    if (!Array.isArray(top)) throw this.corrupt(at, 'APPEND to something that is not a list');
    return top;
  }

  private dictAt(at: number): Map<PickleValue, PickleValue> {
    const top = this.peek(at);
    if (!(top instanceof Map)) throw this.corrupt(at, 'SETITEM on something that is not a dict');
    return top;
  }

  private memoGet(index: number, at: number): StackItem {
    const item = this.memo.get(index);
    if (item === undefined) throw this.corrupt(at, `memo entry ${index} is missing`);
    return item;
  }

  private popMark(at: number): PickleValue[] {
    const mark = this.marks.pop();
    if (mark === undefined) throw this.corrupt(at, 'no MARK on the stack');
    const items = this.stack.splice(mark);
    items.shift();
    return items.map((item) => this.asValue(item, at));
  }

  private popN(n: number, at: number): PickleValue[] {
    if (this.stack.length < n) throw this.corrupt(at, 'stack underflow');
    return this.stack.splice(this.stack.length - n).map((item) => this.asValue(item, at));
  }

  private pop(): StackItem {
    const item = this.stack.pop();
    if (item === undefined) throw this.corrupt(this.pos - 1, 'stack underflow');
    if (item === MARK) this.marks.pop();
    return item;
  }

  private popValue(at: number): PickleValue {
    return this.asValue(this.pop(), at);
  }

  private peek(at: number): StackItem {
    const item = this.stack[this.stack.length - 1];
    if (item === undefined) throw this.corrupt(at, 'stack underflow');
    return item;
  }

  private asValue(item: StackItem, at: number): PickleValue {
    if (item === MARK) throw this.corrupt(at, 'unexpected MARK');
    if (item instanceof GlobalRef) {
      if (typeof item.target === 'function') throw this.unsafe(at, `${item.name} used as a value`);
      return item.target;
    }
    return item;
  }

  private u8(): number {
    if (this.pos >= this.bytes.length) throw this.truncated();
    return this.bytes[this.pos++] ?? 0;
  }

  private advance(n: number): number {
    if (this.pos + n > this.bytes.length) throw this.truncated();
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private take(n: number): Uint8Array {
    const at = this.advance(n);
    return this.bytes.subarray(at, at + n);
  }

  private length32(at: number): number {
    const n = this.view.getUint32(this.advance(4), true);
    if (n > this.bytes.length) throw this.corrupt(at, `length ${n} exceeds the file`);
    return n;
  }

  private length64(at: number): number {
    const n = this.view.getBigUint64(this.advance(8), true);
    if (n > BigInt(this.bytes.length)) throw this.corrupt(at, `length ${n} exceeds the file`);
    return Number(n);
  }

  private utf8(n: number, at: number): string {
    try {
      return textDecoder.decode(this.take(n));
    } catch (error) {
      if (GanKitError.isInstance(error)) throw error;
      throw this.corrupt(at, 'invalid UTF-8 string');
    }
  }

  private line(at: number): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw this.truncated();
    if (end - this.pos > 256) throw this.corrupt(at, 'GLOBAL name too long');
    const text = latin1Decoder.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return text;
  }

  /** Little-endian two's-complement integer of n bytes; a number when it is a safe integer, else a bigint. */
  private long(n: number): number | bigint {
    const bytes = this.take(n);
    let value = 0n;
    for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i] ?? 0);
    if (n > 0 && ((bytes[n - 1] ?? 0) & 0x80) !== 0) value -= 1n << BigInt(8 * n);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  private truncated(): GanKitError {
    return new GanKitError('FILE_CORRUPT', `${this.options.source} is truncated: the pickle ends before its STOP opcode`, { path: this.options.source });
  }

  private corrupt(at: number, what: string): GanKitError {
    return new GanKitError('FILE_CORRUPT', `${this.options.source} has an invalid pickle at byte ${at}: ${what}`, { path: this.options.source });
  }

  private unsafe(at: number, what: string): GanKitError {
    return new GanKitError('UNSAFE_PICKLE', `${this.options.source} was refused at pickle byte ${at}: ${what}; nothing was executed`, { path: this.options.source });
  }
}

/** True for objects built by allowed globals (tensors, storages). */
export function isPickleObject(value: unknown): value is PickleObject {
  return typeof value === 'object' && value !== null && 'pickleKind' in value;
}
