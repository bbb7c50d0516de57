/* Exit codes of the contract (README "Exit codes"). */
#ifndef SLIPWAY_BASE_EXITCODES_H
#define SLIPWAY_BASE_EXITCODES_H

enum sw_exit {
    SW_EXIT_OK = 0,
    SW_EXIT_FAIL = 1,
    SW_EXIT_USAGE = 2,
    SW_EXIT_UNREACHABLE = 3,
    SW_EXIT_LOCK = 4,
    SW_EXIT_VALIDATION = 5,
    SW_EXIT_CONTRACT = 6, /* a contract migration waits for older replicas */
    SW_EXIT_NOEXEC = 126,
    SW_EXIT_NOTFOUND = 127,
    SW_EXIT_SIGNAL_BASE = 128,
};

#endif
