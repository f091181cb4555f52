// A tiny arithmetic parser: tokens in, number out. Nothing is executed.
function evaluate(source) {
  const tokens = source.match(/\d+|[-+*/()]/g) || [];
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  function factor() {
    const t = next();
    if (t === "(") {
      const v = expr();
      next();
      return v;
    }
    return Number(t);
  }
  function term() {
    let v = factor();
    while (peek() === "*" || peek() === "/") v = next() === "*" ? v * factor() : v / factor();
    return v;
  }
  function expr() {
    let v = term();
    while (peek() === "+" || peek() === "-") v = next() === "+" ? v + term() : v - term();
    return v;
  }
  return expr();
}

// A method called eval on our own object is not the global eval.
const engine = {
  eval(source) {
    return evaluate(source);
  },
};

// ok: node/eval
engine.eval(process.argv[2] || "1+1");

module.exports = { evaluate, engine };
