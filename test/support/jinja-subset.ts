// Renders the small part of Jinja that our Home Assistant templates use, the way HA's Jinja does:
// `{{ expr }}` blocks with attribute and index access, string/number/list/dict literals, `==`,
// `!=`, `>`, `<`, `in`, `and`, `or`, `not`, `x if c else y`, and the filters `length` and `tojson`.
// Anything else is an error, so a template we start emitting with other syntax fails the test.

type Value = unknown;

function tokenize(src: string): string[] {
  const re = /\s*(?:('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|>=|<=|[[\](){}.,:|<>]))/y;
  const out: string[] = [];
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) throw new Error(`unsupported template syntax at "${src.slice(i)}"`);
    out.push(m[0].trim());
    i = re.lastIndex;
  }
  return out;
}

/** Python's str() of a value, as Jinja prints it. */
export function pyStr(v: Value): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  return JSON.stringify(v);
}

class Parser {
  private i = 0;
  constructor(private t: string[], private vars: Record<string, Value>) {}

  done(): boolean {
    return this.i >= this.t.length;
  }

  private peek(): string | undefined {
    return this.t[this.i];
  }

  private eat(tok?: string): string {
    const v = this.t[this.i++];
    if (v === undefined || (tok !== undefined && v !== tok)) throw new Error(`expected ${tok ?? "a token"}, got ${v ?? "end"}`);
    return v;
  }

  expr(): Value {
    const a = this.or();
    if (this.peek() === "if") {
      this.eat("if");
      const cond = this.or();
      this.eat("else");
      const b = this.expr();
      return truthy(cond) ? a : b;
    }
    return a;
  }

  private or(): Value {
    let v = this.and();
    while (this.peek() === "or") {
      this.eat();
      const r = this.and();
      v = truthy(v) ? v : r;
    }
    return v;
  }

  private and(): Value {
    let v = this.not();
    while (this.peek() === "and") {
      this.eat();
      const r = this.not();
      v = truthy(v) ? r : v;
    }
    return v;
  }

  private not(): Value {
    if (this.peek() === "not") {
      this.eat();
      return !truthy(this.not());
    }
    return this.compare();
  }

  private compare(): Value {
    const a = this.filtered();
    const op = this.peek();
    if (op === "==" || op === "!=" || op === ">" || op === "<" || op === ">=" || op === "<=" || op === "in") {
      this.eat();
      const b = this.filtered();
      switch (op) {
        case "==":
          return JSON.stringify(a) === JSON.stringify(b);
        case "!=":
          return JSON.stringify(a) !== JSON.stringify(b);
        case "in":
          if (!Array.isArray(b)) throw new Error("`in` needs a list");
          return b.some((x) => JSON.stringify(x) === JSON.stringify(a));
        default: {
          if (typeof a !== "number" || typeof b !== "number") throw new Error(`${op} compares numbers only`);
          return op === ">" ? a > b : op === "<" ? a < b : op === ">=" ? a >= b : a <= b;
        }
      }
    }
    return a;
  }

  private filtered(): Value {
    let v = this.postfix();
    while (this.peek() === "|") {
      this.eat();
      const f = this.eat();
      if (f === "length") {
        if (!Array.isArray(v) && typeof v !== "string") throw new Error("length of a non-sequence");
        v = v.length;
      } else if (f === "tojson") {
        v = JSON.stringify(v);
      } else throw new Error(`unsupported filter ${f}`);
    }
    return v;
  }

  private postfix(): Value {
    let v = this.primary();
    for (;;) {
      if (this.peek() === ".") {
        this.eat();
        const k = this.eat();
        v = isObj(v) ? v[k] : undefined;
      } else if (this.peek() === "[") {
        this.eat();
        const k = this.expr();
        this.eat("]");
        v = Array.isArray(v) && typeof k === "number" ? v[k] : isObj(v) && typeof k === "string" ? v[k] : undefined;
      } else return v;
    }
  }

  private primary(): Value {
    const t = this.eat();
    if (t === "(") {
      const v = this.expr();
      this.eat(")");
      return v;
    }
    if (t === "[") {
      const items: Value[] = [];
      while (this.peek() !== "]") {
        items.push(this.expr());
        if (this.peek() === ",") this.eat();
      }
      this.eat("]");
      return items;
    }
    if (t === "{") {
      const o: Record<string, Value> = {};
      while (this.peek() !== "}") {
        const k = this.expr();
        this.eat(":");
        o[String(k)] = this.expr();
        if (this.peek() === ",") this.eat();
      }
      this.eat("}");
      return o;
    }
    if (/^['"]/.test(t)) return t.slice(1, -1).replace(/\\(.)/g, "$1");
    if (/^\d/.test(t)) return Number(t);
    if (t === "true" || t === "True") return true;
    if (t === "false" || t === "False") return false;
    if (t === "none" || t === "None") return null;
    if (Object.hasOwn(this.vars, t)) return this.vars[t];
    throw new Error(`unknown name ${t}`);
  }
}

function isObj(v: Value): v is Record<string, Value> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function truthy(v: Value): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (isObj(v)) return Object.keys(v).length > 0;
  return Boolean(v);
}

/** Renders `template` with `vars` (e.g. `{ value_json: state }` or `{ value: 16 }`). */
export function render(template: string, vars: Record<string, Value>): string {
  return template.replace(/\{\{(.*?)\}\}/gs, (_m, body: string) => {
    const p = new Parser(tokenize(body), vars);
    const v = p.expr();
    if (!p.done()) throw new Error(`trailing tokens in "${body}"`);
    return pyStr(v);
  });
}
