// `greenlight completion bash|zsh|fish`: prints a completion script for the shell, generated
// from this program's own command tree (verbs, sub-verbs, options, option choices), so it can
// never list a verb or an option the CLI does not have. The scripts are static: a TAB never
// starts node (the npm completion libraries call the CLI back on every TAB instead).
import { Argument, type Command, type Option } from 'commander';
import type { CliIo } from '../io';

interface Node {
  /** Space-separated verb path from the program ("" for the program itself, "backup list"). */
  readonly path: string;
  readonly subs: readonly { name: string; description: string }[];
  /** The allowed values of its first argument, if it has choices (`completion <shell>`). */
  readonly argChoices: readonly string[];
  readonly options: readonly { long?: string; short?: string; description: string; takesValue: boolean; choices: readonly string[] }[];
}

/** Every command of the tree with what may follow it, as `--help` shows them (hidden ones left out). */
export function commandTree(program: Command): Node[] {
  const nodes: Node[] = [];
  const walk = (cmd: Command, path: string): void => {
    const help = cmd.createHelp();
    const subs = help.visibleCommands(cmd);
    nodes.push({
      path,
      subs: subs.map((c) => ({ name: c.name(), description: c.description() })),
      argChoices: cmd.registeredArguments[0]?.argChoices ?? [],
      options: help
        .visibleOptions(cmd)
        .filter((o: Option) => !o.negate)
        .map((o: Option) => ({ long: o.long, short: o.short, description: o.description, takesValue: o.required || o.optional, choices: o.argChoices ?? [] })),
    });
    // The implicit `help [command]` verb is offered but not walked: it only takes verb names.
    for (const c of subs) if (c.name() !== 'help') walk(c, path ? `${path} ${c.name()}` : c.name());
  };
  walk(program, '');
  return nodes;
}

/** A single-quoted shell word (the same quoting for bash, zsh and fish). */
function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** fish quotes differently: inside '…' only \' and \\ are escapes. */
function fq(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function flags(o: Node['options'][number]): string[] {
  return [o.long, o.short].filter((x): x is string => !!x);
}

export function bashScript(name: string, nodes: readonly Node[]): string {
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const subs = nodes.map((n) => `    ${q(n.path)}) echo ${q(n.subs.map((s) => s.name).join(' '))} ;;`).join('\n');
  const words = nodes.filter((n) => n.argChoices.length).map((n) => `    ${q(n.path)}) echo ${q(n.argChoices.join(' '))} ;;`).join('\n');
  const opts = nodes.map((n) => `    ${q(n.path)}) echo ${q(n.options.flatMap(flags).join(' '))} ;;`).join('\n');
  const valued = nodes.flatMap((n) => n.options.filter((o) => o.takesValue).flatMap((o) => flags(o).map((f) => `    ${q(`${n.path}|${f}`)}) echo ${q(o.choices.join(' ') || '@file')} ;;`))).join('\n');
  return `# ${name} completion for bash. Load it with:  eval "$(${name} completion bash)"
# or save it as /etc/bash_completion.d/${name} (or ~/.local/share/bash-completion/completions/${name}).
${lookups(fn, subs, words, opts, valued)}
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" w i values
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    if [[ " $(${fn}_subs "$path") " == *" $w "* ]]; then path="\${path:+$path }$w"; fi
  done
  if values="$(${fn}_values "$path" "$prev")"; then
    # An option's value: its choices, else files.
    if [[ "$values" != @file ]]; then COMPREPLY=($(compgen -W "$values" -- "$cur")); fi
    return 0
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(${fn}_opts "$path")" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(${fn}_subs "$path") $(${fn}_args "$path")" -- "$cur"))
  fi
}
complete -o default -F ${fn} ${name}
`;
}

/**
 * The four lookups both shells' scripts share, as shell functions of the command path: its
 * subcommands, its argument words, its options, and an option's values ("path|flag").
 */
function lookups(fn: string, subs: string, args: string, opts: string, valued: string): string {
  return `${fn}_subs() {
  case "$1" in
${subs}
  esac
}
${fn}_args() {
  case "$1" in
${args}
  esac
}
${fn}_opts() {
  case "$1" in
${opts}
  esac
}
${fn}_values() {
  case "$1|$2" in
${valued}
    *) return 1 ;;
  esac
}`;
}

export function zshScript(name: string, nodes: readonly Node[]): string {
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const line = (items: string[]): string => (items.length ? `print -rl -- ${items.map(q).join(' ')}` : ':');
  const subs = nodes.map((n) => `    ${q(n.path)}) ${line(n.subs.map((s) => `${s.name}:${s.description}`))} ;;`).join('\n');
  const args = nodes.filter((n) => n.argChoices.length).map((n) => `    ${q(n.path)}) ${line([...n.argChoices])} ;;`).join('\n');
  const opts = nodes.map((n) => `    ${q(n.path)}) ${line(n.options.flatMap((o) => flags(o).map((f) => `${f}:${o.description}`)))} ;;`).join('\n');
  const valued = nodes.flatMap((n) => n.options.filter((o) => o.takesValue).flatMap((o) => flags(o).map((f) => `    ${q(`${n.path}|${f}`)}) ${line(o.choices.length ? [...o.choices] : ['@file'])} ;;`))).join('\n');
  return `#compdef ${name}
# ${name} completion for zsh. Save it as _${name} in a directory of $fpath, or load it with:
#   eval "$(${name} completion zsh)"   (after compinit)
${lookups(fn, subs, args, opts, valued)}
${fn}() {
  local p='' w i
  local -a subs opts values names args
  for (( i = 2; i < CURRENT; i++ )); do
    w=\${words[i]}
    [[ $w == -* ]] && continue
    names=(\${\${(f)"$(${fn}_subs "$p")"}%%:*})
    (( \${names[(Ie)$w]} )) && p=\${p:+$p }$w
  done
  if values=(\${(f)"$(${fn}_values "$p" "\${words[CURRENT-1]}")"}) && (( \${#values} )); then
    if [[ \${values[1]} == @file ]]; then _files; else compadd -- $values; fi
    return
  fi
  if [[ \${words[CURRENT]} == -* ]]; then
    opts=(\${(f)"$(${fn}_opts "$p")"})
    _describe -t options option opts
  else
    subs=(\${(f)"$(${fn}_subs "$p")"})
    args=(\${(f)"$(${fn}_args "$p")"})
    if (( \${#subs} )); then _describe -t commands command subs
    elif (( \${#args} )); then compadd -- $args
    else _files; fi
  fi
}
compdef ${fn} ${name}
# Loaded from $fpath the file is the function itself; evaluated, it only defines it.
if [[ \${funcstack[1]} == ${fn} ]]; then ${fn} "$@"; fi
`;
}

export function fishScript(name: string, nodes: readonly Node[]): string {
  const fn = `__${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const subs = nodes.map((n) => `        case ${fq(n.path)}\n            printf '%s\\n' ${n.subs.map((s) => fq(s.name)).join(' ') || "''"}`).join('\n');
  const lines: string[] = [];
  for (const n of nodes) {
    const cond = fq(`test (${fn}_path) = ${fq(n.path)}`);
    for (const s of n.subs) lines.push(`complete -c ${name} -f -n ${cond} -a ${fq(s.name)} -d ${fq(s.description)}`);
    if (n.argChoices.length) lines.push(`complete -c ${name} -f -n ${cond} -a ${fq(n.argChoices.join(' '))}`);
    for (const o of n.options) {
      const parts = [`complete -c ${name} -n ${cond}`];
      if (o.long) parts.push(`-l ${o.long.replace(/^--/, '')}`);
      if (o.short) parts.push(`-s ${o.short.replace(/^-/, '')}`);
      if (o.takesValue) parts.push(o.choices.length ? `-x -a ${fq(o.choices.join(' '))}` : '-r');
      parts.push(`-d ${fq(o.description)}`);
      lines.push(parts.join(' '));
    }
  }
  return `# ${name} completion for fish. Save it as ~/.config/fish/completions/${name}.fish, or load it with:
#   ${name} completion fish | source
function ${fn}_subs
    switch "$argv[1]"
${subs}
    end
end
function ${fn}_path
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l p ''
    for t in $tokens
        string match -q -- '-*' $t; and continue
        if contains -- $t (${fn}_subs "$p")
            if test -z "$p"
                set p $t
            else
                set p "$p $t"
            end
        end
    end
    echo $p
end
${lines.join('\n')}
`;
}

export function registerCompletion(program: Command, io: CliIo): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .action((shell: 'bash' | 'zsh' | 'fish') => {
      const nodes = commandTree(program);
      const name = program.name();
      io.out(shell === 'bash' ? bashScript(name, nodes) : shell === 'zsh' ? zshScript(name, nodes) : fishScript(name, nodes));
    });
}
