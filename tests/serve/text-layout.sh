#!/usr/bin/env bash
# Serve mode's code sits together ahead of the rest of the binary (src/serve/layout.ld.in), so
# the kernel's 64 KiB fault-around maps that part into a supervisor, not the whole text (issue
# 17). Checked on the binary itself: what `slipway -- CMD` runs lies inside .text.serve, what
# only the other commands run lies outside it, its constants follow it, and the alignment keeps
# the windows where the layout put them. A renamed file drops out of the group silently
# otherwise.
. "$SRCDIR/tests/lib/tap.sh"

# .text.serve's start and size, from the section table ("[Nr] Name Type Address Off Size ...")
read -r start size < <(readelf -SW "$SLIPWAY" |
    sed -n 's/^ *\[ *[0-9]*\] *\.text\.serve  *[A-Z]*  *\([0-9a-f]*\)  *[0-9a-f]*  *\([0-9a-f]*\) .*/\1 \2/p')
if [ -z "${start:-}" ]; then
    echo "Bail out! no .text.serve section in $SLIPWAY (not linked with GNU ld?)"
    exit 1
fi
start=$((16#$start))
end=$((start + 16#$size))

inside() { # FUNCTION: is it defined within .text.serve?
    local addr
    addr=$(nm "$SLIPWAY" | awk -v f="$1" '$3 == f && $2 ~ /[tT]/ {print $1; exit}')
    [ -n "$addr" ] && [ $((16#$addr)) -ge "$start" ] && [ $((16#$addr)) -lt "$end" ]
}

for f in main sw_cli_parse sw_config_load sw_serve sw_spawn sw_reap_all sw_sigwatch_start \
    sw_gate_wait sw_health_server_close ini_parse_stream uv_loop_init uv_run uv__io_poll \
    uv_signal_init uv_timer_start _start frame_dummy __pthread_atfork; do
    inside "$f"
    ok $? "serve mode's $f is in .text.serve"
done
# Its constants come right after it, in the same windows...
rodata=$(readelf -SW "$SLIPWAY" |
    sed -n 's/^ *\[ *[0-9]*\] *\.rodata\.serve  *[A-Z]*  *\([0-9a-f]*\) .*/\1/p')
[ -n "$rodata" ] && [ $((16#$rodata)) -ge "$end" ] && [ $((16#$rodata)) -lt $((end + 64)) ]
ok $? ".rodata.serve follows .text.serve"
# ...and the windows are the same at every start: the kernel aligns a binary's load address
# to its segments' alignment, 64 KiB here, so that address randomisation cannot split the
# group over one window more.
aligns=$(readelf -lW "$SLIPWAY" | awk '$1 == "LOAD" {print $NF}' | sort -u)
is "$aligns" "0x10000" "every loadable segment is aligned to 64 KiB"

for f in sw_upgrade_main sw_lint_migrations sw_status_main sw_task_main uv_fs_read; do
    nm "$SLIPWAY" | awk -v f="$f" '$3 == f {found = 1} END {exit !found}'
    ok $? "$f is in the binary"
    ! inside "$f"
    ok $? "$f, which serve mode never runs, is not in .text.serve"
done

done_testing
