/**
 * The one shell reader (src/dockerfile/shell.ts) that lint, convert and the run plan share: how RUN
 * and CMD text splits into words and simple commands, and the source text each command keeps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shellCommands, splitCommands, tokenize } from '../../src/dockerfile/shell.ts';

const argvs = (text: string) => splitCommands(text).map((c) => c.argv);
const sources = (text: string) => shellCommands(text).map((c) => c.source);

test('quotes: single quotes are literal, double quotes keep spaces and honour \\" \\$ \\\\ \\`', () => {
  assert.deepEqual(argvs(`echo 'a  b' "c  d" 'it'"'"'s' "x \\"y\\" \\$HOME \\\\ \\\` \\n"`), [['echo', 'a  b', 'c  d', "it's", 'x "y" $HOME \\ ` \\n']]);
  // Operators inside quotes are text, not separators.
  assert.deepEqual(argvs(`echo "a && b; c | d" 'e || f & g'`), [['echo', 'a && b; c | d', 'e || f & g']]);
  // Quotes glue onto the word around them: --opt="a b" is one argument.
  assert.deepEqual(argvs(`run --opt="a b" pre'fix'post`), [['run', '--opt=a b', 'prefixpost']]);
  assert.deepEqual(argvs(`printf $'a\\tb\\'c'`), [['printf', "a\tb'c"]]);
  // An unterminated quote runs to the end rather than throwing.
  assert.deepEqual(argvs(`echo "never closed && rm x`), [['echo', 'never closed && rm x']]);
});

test('backslash escapes a space or an operator; backslash-newline joins lines, outside and inside double quotes', () => {
  assert.deepEqual(argvs('touch a\\ b \\; x\\&\\&y'), [['touch', 'a b', ';', 'x&&y']]);
  assert.deepEqual(argvs('apt-get install -y \\\n    curl \\\n    ca-certificates'), [['apt-get', 'install', '-y', 'curl', 'ca-certificates']]);
  assert.deepEqual(argvs('echo "one \\\ntwo" thr\\\nee'), [['echo', 'one two', 'three']]);
  assert.deepEqual(argvs('make \\\r\n  all'), [['make', 'all']], 'CRLF continuation');
});

test('comments run to the end of the line and hide the operators in them; # inside a word is text', () => {
  assert.deepEqual(argvs('apt-get update # refresh && apt-get install -y x\napt-get clean'), [['apt-get', 'update'], ['apt-get', 'clean']]);
  assert.deepEqual(argvs("npm ci # don't audit\nnpm run build"), [['npm', 'ci'], ['npm', 'run', 'build']], 'an apostrophe in a comment opens no quote');
  assert.deepEqual(argvs('echo a#b "#c" $#'), [['echo', 'a#b', '#c', '$#']]);
});

test('&&, ||, ;, |, |&, & and newlines each end a simple command', () => {
  assert.deepEqual(argvs('a 1 && b 2 || c 3; d 4 | e 5 |& f 6 & g 7\nh 8'), [['a', '1'], ['b', '2'], ['c', '3'], ['d', '4'], ['e', '5'], ['f', '6'], ['g', '7'], ['h', '8']]);
  assert.deepEqual(argvs('a&&b;c'), [['a'], ['b'], ['c']], 'no spaces needed around operators');
  assert.deepEqual(tokenize('a && b').map((t) => [t.kind, t.value]), [['word', 'a'], ['operator', '&&'], ['word', 'b']]);
});

test('redirections are not words and do not split a command: 2>&1, &>, >>, <<EOF', () => {
  assert.deepEqual(argvs('make all > build.log 2>&1 && make install'), [['make', 'all'], ['make', 'install']]);
  assert.deepEqual(argvs('curl -fsS x &>/dev/null || true'), [['curl', '-fsS', 'x'], ['true']]);
  assert.deepEqual(argvs("cat <<'EOF' >> /etc/app.conf"), [['cat']]);
  assert.deepEqual(argvs('echo hi >&2'), [['echo', 'hi']]);
  // A number glued to the operator is the file descriptor; a quoted one is an argument.
  assert.deepEqual(tokenize('x 2>&1').map((t) => t.value), ['x', '2>&', '1']);
  assert.deepEqual(argvs('echo "2">out'), [['echo', '2']]);
});

test('subshell parentheses separate commands; an array value stays one word', () => {
  assert.deepEqual(argvs('(cd /app && npm install) && echo done'), [['cd', '/app'], ['npm', 'install'], ['echo', 'done']]);
  assert.deepEqual(argvs('{ apt-get update; apt-get install -y x; }'), [['apt-get', 'update'], ['apt-get', 'install', '-y', 'x']]);
  assert.deepEqual(splitCommands('pkgs=(curl git) && apt-get install -y x'), [{ env: {}, argv: ['apt-get', 'install', '-y', 'x'] }]);
});

test('$(…), $((…)), ${…}, <(…) and backticks are kept whole inside their word, never splitting the command', () => {
  assert.deepEqual(argvs('javac -d out $(find src -name "*.java" | sort) && jar cf app.jar -C out .'), [
    ['javac', '-d', 'out', '$(find src -name "*.java" | sort)'],
    ['jar', 'cf', 'app.jar', '-C', 'out', '.'],
  ]);
  assert.deepEqual(argvs('echo $(a $(b; c) ")") `d && e` ${X:-a b} $((1 + (2 * 3)))'), [['echo', '$(a $(b; c) ")")', '`d && e`', '${X:-a b}', '$((1 + (2 * 3)))']]);
  assert.deepEqual(argvs('bash -c "$(curl -fsSL https://x.invalid/i.sh)"; bash <(wget -qO- https://x.invalid)'), [
    ['bash', '-c', '$(curl -fsSL https://x.invalid/i.sh)'],
    ['bash', '<(wget -qO- https://x.invalid)'],
  ]);
  assert.deepEqual(splitCommands('V=`cat VERSION` make; echo "$(date) `id -u`"'), [
    { env: { V: '`cat VERSION`' }, argv: ['make'] },
    { env: {}, argv: ['echo', '$(date) `id -u`'] },
  ]);
});

test('compound commands: the simple commands inside if/then/else and loops, not the keywords', () => {
  assert.deepEqual(argvs('if [ -f yarn.lock ]; then yarn install; else npm ci; fi'), [['[', '-f', 'yarn.lock', ']'], ['yarn', 'install'], ['npm', 'ci']]);
  assert.deepEqual(argvs('for p in a b; do pip install "$p"; done'), [['pip', 'install', '$p']]);
  assert.deepEqual(argvs('while ! pg_isready; do sleep 1; done'), [['pg_isready'], ['sleep', '1']]);
  // Keywords count only in command position and unquoted.
  assert.deepEqual(argvs('echo then done; "if" x'), [['echo', 'then', 'done'], ['if', 'x']]);
});

test('argv leaves out assignments and wrappers with their options; words keep them, with the wrappers named', () => {
  const [c] = shellCommands('DEBIAN_FRONTEND=noninteractive sudo -E -u root TZ=UTC apt-get install -y tzdata');
  assert.deepEqual(c?.argv, ['apt-get', 'install', '-y', 'tzdata']);
  assert.deepEqual(c?.env, { DEBIAN_FRONTEND: 'noninteractive', TZ: 'UTC' });
  assert.deepEqual(c?.wrappers, ['sudo']);
  assert.deepEqual(c?.words, ['DEBIAN_FRONTEND=noninteractive', 'sudo', '-E', '-u', 'root', 'TZ=UTC', 'apt-get', 'install', '-y', 'tzdata']);
  assert.deepEqual(splitCommands('env -i PATH=/bin NODE_ENV=production node server.js'), [{ env: { PATH: '/bin', NODE_ENV: 'production' }, argv: ['node', 'server.js'] }]);
  assert.deepEqual(splitCommands('exec nohup env -- java -jar app.jar'), [{ env: {}, argv: ['java', '-jar', 'app.jar'] }]);
  // A bare assignment runs nothing: shellCommands keeps it (it has words), splitCommands does not.
  assert.deepEqual(shellCommands('X=1').map((x) => [x.words, x.argv]), [[['X=1'], []]]);
  assert.deepEqual(splitCommands('X=1'), []);
});

test('each command keeps its source text exactly as written, a slice of the input at its offsets', () => {
  const text = 'apt-get update \\\n  && apt-get install -y \\\n     "curl" > /dev/null 2>&1 # quiet\n  && (cd /x && make)';
  const cmds = shellCommands(text);
  assert.deepEqual(cmds.map((c) => c.source), ['apt-get update', 'apt-get install -y \\\n     "curl" > /dev/null 2>&1', 'cd /x', 'make']);
  for (const c of cmds) assert.equal(text.slice(c.start, c.end), c.source);
  assert.deepEqual(sources('if true; then sudo chmod 777 /data; fi'), ['true', 'sudo chmod 777 /data'], 'keywords are not part of the command');
  assert.deepEqual(sources('echo "a && b" | tee "$(pwd)/x"'), ['echo "a && b"', 'tee "$(pwd)/x"']);
  // Word offsets too: a word's span covers its quotes.
  assert.deepEqual(tokenize(`say 'hi there'`).map((t) => [t.value, t.start, t.end]), [['say', 0, 3], ['hi there', 4, 14]]);
});

test('empty and operator-only text has no commands', () => {
  for (const t of ['', '   ', '\n\n', '# only a comment', ';;', '&& ||', '( )']) assert.deepEqual(shellCommands(t), [], JSON.stringify(t));
});
