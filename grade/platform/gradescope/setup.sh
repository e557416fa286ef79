#!/bin/sh
# setup.sh (Gradescope's autograder): build closelab's grader in the image.
# CLOSELAB_PLATFORM_ROOT: the autograder's paths under that directory, and
# nothing installed (closelab's tests simulate the platform so).
set -eu

root=${CLOSELAB_PLATFORM_ROOT:-}
if [ -z "$root" ]; then
	apt-get update
	apt-get install -y --no-install-recommends make gcc libc6-dev iproute2 util-linux procps \
	    python3
fi
make -C "$root/autograder/source/closelab" grader
