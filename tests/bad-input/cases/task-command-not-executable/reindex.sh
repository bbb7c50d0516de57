#!/bin/sh
# mode 644 on purpose: the task must not run
touch "$CASE/ran"
