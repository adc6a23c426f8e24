// The status page's stylesheet (embedded; no file is read at run time). Readable on a phone: one
// column there, a grid of cards on wider screens; follows the system's light or dark scheme.
export const PAGE_STYLE = `
:root{--bg:#f4f5f7;--fg:#1d2127;--muted:#5f6873;--card:#fff;--line:#dde1e6;--accent:#0b6bcb;
--st-available:#2e7d32;--st-connected:#1565c0;--st-charging:#00897b;--st-suspended:#b7791f;--st-error:#c62828;
--st-disabled:#6b6b6b;--st-offline:#454b52;--st-unknown:#8a8f96}
@media (prefers-color-scheme:dark){:root{--bg:#15181c;--fg:#e6e9ed;--muted:#9aa3ad;--card:#1f2429;--line:#323941;--accent:#5aa9ff;
--st-offline:#5b626a}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;align-items:center;justify-content:space-between;gap:.5rem;padding:.7rem 1rem;background:var(--card);border-bottom:1px solid var(--line)}
h1{font-size:1.15rem;margin:0}
h1 small{font-weight:normal;color:var(--muted);font-size:.8rem}
.live{font-size:.8rem;padding:.15rem .55rem;border-radius:1rem;background:var(--st-unknown);color:#fff;white-space:nowrap}
.live.on{background:var(--st-available)}
.live.off{background:var(--st-error)}
.bridge{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;padding:.6rem 1rem;font-size:.9rem;border-bottom:1px solid var(--line)}
.bridge .k{color:var(--muted);margin-right:.25rem}
.pill{display:inline-block;padding:0 .5rem;border-radius:1rem;color:#fff;font-size:.85rem}
.pill.ok{background:var(--st-available)}
.pill.bad{background:var(--st-error)}
.tools{padding:.6rem 1rem 0}
.tools input{width:100%;max-width:28rem;padding:.45rem .6rem;border:1px solid var(--line);border-radius:.4rem;background:var(--card);color:var(--fg);font:inherit}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(290px,1fr));gap:.8rem;padding:.8rem 1rem 2rem}
.empty{padding:0 1rem;color:var(--muted)}
.card{background:var(--card);border:1px solid var(--line);border-left:5px solid var(--st-unknown);border-radius:.5rem;padding:.7rem .8rem;min-width:0;content-visibility:auto;contain-intrinsic-size:auto 330px}
.card.off{opacity:.72}
.top{display:flex;justify-content:space-between;align-items:flex-start;gap:.5rem}
.card h2{font-size:1rem;margin:0;overflow-wrap:anywhere}
.sub{color:var(--muted);font-size:.78rem;overflow-wrap:anywhere}
.status{padding:.1rem .55rem;border-radius:1rem;color:#fff;font-size:.8rem;white-space:nowrap;background:var(--st-unknown)}
.avail{font-size:.78rem;color:var(--muted);margin-top:.2rem}
.avail.on::before{content:"\\25CF ";color:var(--st-available)}
.avail.off::before{content:"\\25CF ";color:var(--st-error)}
.big{display:flex;align-items:center;gap:.6rem;margin:.45rem 0}
.power{font-size:1.6rem;font-weight:600;min-width:6.5rem;font-variant-numeric:tabular-nums}
.spark{flex:1;height:34px;min-width:0}
.spark path{fill:none;stroke:var(--accent);stroke-width:1.5;stroke-linecap:round;stroke-linejoin:round;vector-effect:non-scaling-stroke}
.spark .line{stroke-width:2}
.spark .base{stroke:var(--line);stroke-width:1}
dl{display:grid;grid-template-columns:auto 1fr;gap:.1rem .8rem;margin:.3rem 0;font-size:.88rem}
dt{color:var(--muted)}
dd{margin:0;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;font-size:.82rem;margin:.3rem 0;font-variant-numeric:tabular-nums}
th,td{padding:.05rem .55rem .05rem 0;text-align:right}
th{color:var(--muted);font-weight:normal}
.errors{margin:.3rem 0 0;padding-left:1.1rem;color:var(--st-error);font-size:.85rem}
.ctl{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin-top:.5rem;padding-top:.5rem;border-top:1px solid var(--line)}
.ctl button{font:inherit;font-size:.85rem;padding:.3rem .6rem;border:1px solid var(--line);border-radius:.35rem;background:var(--bg);color:var(--fg);cursor:pointer}
.ctl input{width:4.5rem;font:inherit;font-size:.85rem;padding:.25rem .35rem;border:1px solid var(--line);border-radius:.35rem;background:var(--card);color:var(--fg)}
.reply{flex-basis:100%;font-size:.8rem;color:var(--muted);overflow-wrap:anywhere}
.reply.ok{color:var(--st-available)}
.reply.err{color:var(--st-error)}
[hidden]{display:none!important}
.st-available{border-left-color:var(--st-available)}.status.st-available{background:var(--st-available)}
.st-connected{border-left-color:var(--st-connected)}.status.st-connected{background:var(--st-connected)}
.st-charging{border-left-color:var(--st-charging)}.status.st-charging{background:var(--st-charging)}
.st-suspended{border-left-color:var(--st-suspended)}.status.st-suspended{background:var(--st-suspended)}
.st-error{border-left-color:var(--st-error)}.status.st-error{background:var(--st-error)}
.st-disabled{border-left-color:var(--st-disabled)}.status.st-disabled{background:var(--st-disabled)}
.st-offline{border-left-color:var(--st-offline)}.status.st-offline{background:var(--st-offline)}
.st-unknown{border-left-color:var(--st-unknown)}.status.st-unknown{background:var(--st-unknown)}
@media (max-width:480px){header,.bridge,.tools,main{padding-left:.6rem;padding-right:.6rem}.power{font-size:1.4rem}}
`;
