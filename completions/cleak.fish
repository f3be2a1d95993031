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
