# fish completion for cleak(1)
# SPDX-License-Identifier: MIT
#
# Install as cleak.fish in a directory of $fish_complete_path (for example
# /usr/share/fish/vendor_completions.d).
#
# One `complete` line per option.  A command's options carry the condition
# '__fish_seen_subcommand_from <command>'; tests/e2e/test_docs.py compares
# them, and which of them take an argument (-r or -x), with
# `cleak <command> --help`: keep that layout when adding options.

# True while `cleak stack` still wants its pid: no operand yet.
function __cleak_stack_needs_pid
    set -l tokens (commandline -opc)
    set -l skip 0
    set -l after_dashdash 0
    # tokens[1] is cleak, tokens[2] the command.
    for t in $tokens[3..-1]
        if test $after_dashdash = 1
            return 1
        else if test $skip = 1
            set skip 0
        else if test "$t" = --
            set after_dashdash 1
        else if contains -- $t -n --max-frames --stack-bytes -t --tid --sysroot --debuginfo-path -f --format
            set skip 1
        else if not string match -q -- '-*' $t
            return 1
        end
    end
    return 0
end

# The operands given so far to the command, one per line.  $argv: the
# options of that command that take a value.
function __cleak_operands
    set -l tokens (commandline -opc)
    set -l skip 0
    set -l after_dashdash 0
    # tokens[1] is cleak, tokens[2] the command.
    for t in $tokens[3..-1]
        if test $after_dashdash = 1
            printf '%s\n' $t
        else if test $skip = 1
            set skip 0
        else if test "$t" = --
            set after_dashdash 1
        else if contains -- $t $argv
            set skip 1
        else if not string match -q -- '-*' $t
            printf '%s\n' $t
        end
    end
end

# True while `cleak diff` still wants its first operand: a pid or a snapshot.
function __cleak_diff_needs_first
    set -l operands (__cleak_operands -i --interval -c --count --pile --ignore-top --ignore-created-by --ignore-any --ignore-file)
    test (count $operands) = 0
end

# True when `cleak diff` compares files: more snapshots may follow.
function __cleak_diff_needs_more
    set -l operands (__cleak_operands -i --interval -c --count --pile --ignore-top --ignore-created-by --ignore-any --ignore-file)
    test (count $operands) -gt 0; and not string match -qr -- '^[0-9]+$' $operands[1]
end

# True while `cleak check` still wants its pid.
function __cleak_check_needs_pid
    set -l operands (__cleak_operands --max-goroutines --max-threads --max-growth -i --interval --expect-none --ignore-top --ignore-created-by --ignore-any --ignore-file --settle)
    test (count $operands) = 0
end

# True while `cleak watch` still wants its pid.
function __cleak_watch_needs_pid
    set -l operands (__cleak_operands -i --interval -c --count)
    test (count $operands) = 0
end

# Directories for a ':'-separated list: complete the entry after the last ':'.
function __cleak_complete_dir_list
    set -l token (commandline -ct)
    set -l head (string match -r -- '^.*:' $token)
    set -l tail (string replace -r -- '^.*:' '' $token)
    for dir in (__fish_complete_directories $tail)
        printf '%s%s\n' "$head" $dir
    end
end

# No file names unless an option asks for them.
complete -c cleak -f

# Before the command.
complete -c cleak -n __fish_use_subcommand -s h -l help -d 'Show the help, or the help of a command'
complete -c cleak -n __fish_use_subcommand -s V -l version -d 'Show the version'
complete -c cleak -n __fish_use_subcommand -a stack -d 'Print every thread of a running process with a symbolized stack'
complete -c cleak -n __fish_use_subcommand -a diff -d 'Compare snapshots over time and name the groups that leak'
complete -c cleak -n __fish_use_subcommand -a check -d 'Exit 1 when a process leaks, deadlocks or outgrows its limits'
complete -c cleak -n __fish_use_subcommand -a watch -d 'Follow the goroutine and thread counts of a process'
complete -c cleak -n __fish_use_subcommand -a ps -d 'List processes with thread counts, Go release and goroutines'

# cleak stack [options] <pid>
complete -c cleak -n '__fish_seen_subcommand_from stack' -s a -l all -d 'Print every thread on its own instead of grouping'
complete -c cleak -n '__fish_seen_subcommand_from stack' -s j -l json -d 'Print one JSON document'
complete -c cleak -n '__fish_seen_subcommand_from stack' -l pretty -d 'Indent the JSON output'
complete -c cleak -n '__fish_seen_subcommand_from stack' -s F -l freeze -d 'Stop all threads together for one consistent instant'
complete -c cleak -n '__fish_seen_subcommand_from stack' -s n -l max-frames -x -d 'Show at most N frames per thread (default 256)'
complete -c cleak -n '__fish_seen_subcommand_from stack' -l stack-bytes -x -d 'Copy at most SIZE bytes of each live stack (default 512K)'
complete -c cleak -n '__fish_seen_subcommand_from stack' -s t -l tid -x -d 'Show only this thread (repeatable)'
complete -c cleak -n '__fish_seen_subcommand_from stack' -l no-inlines -d 'Do not expand inlined calls'
complete -c cleak -n '__fish_seen_subcommand_from stack' -l no-lines -d 'Do not look up source file:line'
complete -c cleak -n '__fish_seen_subcommand_from stack' -s r -l raw -d 'Do not demangle C++ and Rust names'
complete -c cleak -n '__fish_seen_subcommand_from stack' -l sysroot -x -a '(__fish_complete_directories)' -d 'Find the files of the target under DIR'
complete -c cleak -n '__fish_seen_subcommand_from stack' -l debuginfo-path -x -a '(__cleak_complete_dir_list)' -d 'Also search these directories for debug files'
complete -c cleak -n '__fish_seen_subcommand_from stack' -s f -l format -x -a 'text json go' -d 'Output format (go prints goroutines as the Go runtime does)'
complete -c cleak -n '__fish_seen_subcommand_from stack' -l nonblocking -d 'Stop nothing: skip what moves while it is read'
complete -c cleak -n '__fish_seen_subcommand_from stack' -s h -l help -d 'Show the help of cleak stack'
complete -c cleak -n '__fish_seen_subcommand_from stack; and __cleak_stack_needs_pid' -a '(__fish_complete_pids)'

# cleak ps [options]
complete -c cleak -n '__fish_seen_subcommand_from ps' -s g -l go -d 'List only Go programs'
complete -c cleak -n '__fish_seen_subcommand_from ps' -s j -l json -d 'Print one JSON array'
complete -c cleak -n '__fish_seen_subcommand_from ps' -s h -l help -d 'Show the help of cleak ps'

# cleak diff [options] <pid>
# cleak diff [options] <a.json> <b.json> [c.json...]
complete -c cleak -n '__fish_seen_subcommand_from diff' -s i -l interval -x -d 'Time between snapshots (default 10s)'
complete -c cleak -n '__fish_seen_subcommand_from diff' -s c -l count -x -d 'Take N+1 snapshots, N intervals (default 2)'
complete -c cleak -n '__fish_seen_subcommand_from diff' -s j -l json -d 'Print one JSON document'
complete -c cleak -n '__fish_seen_subcommand_from diff' -l pretty -d 'Indent the JSON output'
complete -c cleak -n '__fish_seen_subcommand_from diff' -s a -l all -d 'Also list idle groups and every stuck goroutine and thread'
complete -c cleak -n '__fish_seen_subcommand_from diff' -l pile -x -d 'A pile of N goroutines stuck on one channel is a suspect (default 100)'
complete -c cleak -n '__fish_seen_subcommand_from diff' -l ignore-top -x -d 'Ignore what has FUNC as its innermost frame (repeatable)'
complete -c cleak -n '__fish_seen_subcommand_from diff' -l ignore-created-by -x -d 'Ignore goroutines created by FUNC (repeatable)'
complete -c cleak -n '__fish_seen_subcommand_from diff' -l ignore-any -x -d 'Ignore what has FUNC anywhere in its stack (repeatable)'
complete -c cleak -n '__fish_seen_subcommand_from diff' -l ignore-file -r -F -d 'Read ignore rules from FILE'
complete -c cleak -n '__fish_seen_subcommand_from diff' -l nonblocking -d 'Stop nothing: skip what moves while it is read'
complete -c cleak -n '__fish_seen_subcommand_from diff' -s h -l help -d 'Show the help of cleak diff'
complete -c cleak -n '__fish_seen_subcommand_from diff; and __cleak_diff_needs_first' -a '(__fish_complete_pids)'
complete -c cleak -n '__fish_seen_subcommand_from diff; and __cleak_diff_needs_first' -a '(__fish_complete_suffix .json)'
complete -c cleak -n '__fish_seen_subcommand_from diff; and __cleak_diff_needs_more' -a '(__fish_complete_suffix .json)'

# cleak check [options] <pid>
complete -c cleak -n '__fish_seen_subcommand_from check' -s j -l json -d 'Print one JSON document'
complete -c cleak -n '__fish_seen_subcommand_from check' -l pretty -d 'Indent the JSON output'
complete -c cleak -n '__fish_seen_subcommand_from check' -l max-goroutines -x -d 'Fail when the process has more than N goroutines'
complete -c cleak -n '__fish_seen_subcommand_from check' -l max-threads -x -d 'Fail when the process has more than N threads'
complete -c cleak -n '__fish_seen_subcommand_from check' -l max-growth -x -d 'Fail when a group grows by more than N in the interval'
complete -c cleak -n '__fish_seen_subcommand_from check' -s i -l interval -x -d 'Time between the two snapshots of the growth check (default 10s)'
complete -c cleak -n '__fish_seen_subcommand_from check' -l expect-none -x -d 'Fail when a frame matches REGEX (repeatable)'
complete -c cleak -n '__fish_seen_subcommand_from check' -l ignore-top -x -d 'Ignore what has FUNC as its innermost frame (repeatable)'
complete -c cleak -n '__fish_seen_subcommand_from check' -l ignore-created-by -x -d 'Ignore goroutines created by FUNC (repeatable)'
complete -c cleak -n '__fish_seen_subcommand_from check' -l ignore-any -x -d 'Ignore what has FUNC anywhere in its stack (repeatable)'
complete -c cleak -n '__fish_seen_subcommand_from check' -l ignore-file -r -F -d 'Read ignore rules from FILE'
complete -c cleak -n '__fish_seen_subcommand_from check' -l settle -x -d 'While a check fails, look again for up to D'
complete -c cleak -n '__fish_seen_subcommand_from check' -l nonblocking -d 'Stop nothing: skip what moves while it is read'
complete -c cleak -n '__fish_seen_subcommand_from check' -s h -l help -d 'Show the help of cleak check'
complete -c cleak -n '__fish_seen_subcommand_from check; and __cleak_check_needs_pid' -a '(__fish_complete_pids)'

# cleak watch [options] <pid>
complete -c cleak -n '__fish_seen_subcommand_from watch' -s i -l interval -x -d 'Time between updates (default 2s)'
complete -c cleak -n '__fish_seen_subcommand_from watch' -s c -l count -x -d 'Stop after N updates'
complete -c cleak -n '__fish_seen_subcommand_from watch' -s j -l json -d 'Print one JSON object per line'
complete -c cleak -n '__fish_seen_subcommand_from watch' -s h -l help -d 'Show the help of cleak watch'
complete -c cleak -n '__fish_seen_subcommand_from watch; and __cleak_watch_needs_pid' -a '(__fish_complete_pids)'
