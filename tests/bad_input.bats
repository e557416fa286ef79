#!/usr/bin/env bats
# Every bad input gets one clear line naming the problem and a documented
# exit status: 2 for usage errors, 1 for runtime failures. Nothing is left
# running and nothing half-started.

load test_helper

@test "server: an unknown option is a usage error" {
	usage_error "$SERVER" "unknown option --bogus" --bogus
	usage_error "$SERVER" "unexpected argument 'extra'" extra
}

@test "server: an option without its value is a usage error" {
	usage_error "$SERVER" "option --port needs a value" --port
	usage_error "$SERVER" "option --help takes no value" --help=yes
}

@test "server: bad or out-of-range numbers are usage errors" {
	usage_error "$SERVER" "--port needs a number from 0 to 65535, not '65536'" --port 65536
	usage_error "$SERVER" "--port needs a number from 0 to 65535, not '80x'" --port 80x
	usage_error "$SERVER" "--port needs a number from 0 to 65535, not ' 80'" --port " 80"
	usage_error "$SERVER" "--workers needs a number from 1 to 256, not '0'" --workers 0
	usage_error "$SERVER" "--workers needs a number from 1 to 256, not '-1'" --workers=-1
	usage_error "$SERVER" "--workers needs a number from 1 to 256, not '99999999999999999999'" \
	    --workers 99999999999999999999
	usage_error "$SERVER" "--reply-delay needs a number from 0 to 3600000, not '1.5'" --reply-delay 1.5
	usage_error "$SERVER" "--end-after needs a number from 0 to 3600000, not ''" --end-after ''
}

@test "server: bad words are usage errors" {
	# the contract's models are prefork and fork; closelab's server has thread too
	HANG="$(who "$SERVER") hung on bad input instead of refusing it at once with exit 2" \
	    run_program "$SERVER" --model green
	assert_failure 2 || mistake "$(who "$SERVER") given '--model green' exited $status, not 2"
	assert_line --index 0 --regexp "^server: --model must be prefork(,| or) fork( or thread)?, not 'green'$" ||
	    mistake "$(who "$SERVER") given '--model green' did not say first that --model must be prefork or fork, not 'green'"
	usage_error "$SERVER" "--reads must be echo, discard or none, not 'all'" --reads all
	usage_error "$SERVER" "--end: no such mode 'slam' (see --help)" --end slam
	usage_error "$SERVER" "--parent-keeps must be 0, MS up to 3600000, never or signal, not 'soon'" \
	    --parent-keeps soon
	usage_error "$SERVER" "--addr needs an IPv4 or IPv6 address, not 'localhost'" --addr localhost
}

@test "server: --reads none without --end-after MS is a usage error" {
	usage_error "$SERVER" "--reads none never sees the peer's EOF: give --end-after MS" --reads none
}

@test "server: a port in use is a runtime error and starts nothing" {
	start_server
	run_program "$SERVER" --port "$PORT" --log "$LOGS/second.log"
	assert_failure 1 || mistake "a second server on a port in use must exit 1"
	assert_output "server: cannot listen on 127.0.0.1:$PORT: Address already in use" ||
	    mistake "a port in use must be said in one line: 'server: cannot listen on 127.0.0.1:$PORT: Address already in use'"
	run has_event "$LOGS/second.log" ev=spawn
	assert_failure || mistake "a server that cannot listen must not start any worker"
}

@test "server: an address not on this host is a runtime error" {
	# binding sends nothing: 192.0.2.1 (TEST-NET-1) only has to be absent here
	run_program "$SERVER" --addr 192.0.2.1 --port 0
	assert_failure 1 || mistake "an address not on this host must make the server exit 1"
	assert_output --regexp '^server: cannot listen on 192\.0\.2\.1:0: ' ||
	    mistake "an address not on this host must be said in one line: 'server: cannot listen on 192.0.2.1:0: ...'"
}

@test "server: an unwritable port file stops the workers it started" {
	run_program "$SERVER" --port 0 --port-file /nonexistent/dir/port --log "$SLOG"
	assert_failure 1 || mistake "an unwritable --port-file must make the server exit 1"
	assert_output --regexp '^server: cannot write port file /nonexistent/dir/port: ' ||
	    mistake "an unwritable --port-file must be said in one line: 'server: cannot write port file ...'"
	children_gone || mistake "a server that failed to start left a worker running"
}

@test "server: an unwritable log is a runtime error" {
	run_program "$SERVER" --port 0 --log /nonexistent/dir/log
	assert_failure 1 || mistake "an unwritable --log must make the server exit 1"
	assert_output --regexp '^server: cannot open log /nonexistent/dir/log: ' ||
	    mistake "an unwritable --log must be said in one line: 'server: cannot open log ...'"
}

@test "client: usage errors" {
	usage_error "$CLIENT" "--port is required" --send x
	usage_error "$CLIENT" "unknown option --bogus" --port 1 --bogus
	usage_error "$CLIENT" "--port needs a number from 1 to 65535, not '0'" --port 0
	usage_error "$CLIENT" "--then must be shutdown, close, abort or none, not 'slam'" --port 1 --then slam
	usage_error "$CLIENT" "--timeout needs a number from 1 to 3600000, not '0'" --port 1 --timeout 0
	usage_error "$CLIENT" "--interval needs a number from 0 to 3600000, not 'x'" --port 1 --interval x
}

@test "client: a refused connection is a runtime error" {
	# a port that was free a moment ago: the server took it and let it go
	start_server
	stop_server
	run_program "$CLIENT" --port "$PORT" --send x
	assert_failure 1 || mistake "a refused connection must make the client exit 1"
	assert_output "client: cannot connect to 127.0.0.1:$PORT: Connection refused" ||
	    mistake "a refused connection must be said in one line: 'client: cannot connect to 127.0.0.1:$PORT: Connection refused'"
}

@test "client: a name that does not resolve is a runtime error" {
	# in a network namespace of its own, with no interface up, a query to
	# the resolver cannot leave this machine: no packet goes anywhere
	command -v unshare >/dev/null && unshare -n true 2>/dev/null ||
	    skip "needs unshare -n (root) to resolve with no network at all"
	run_program unshare -n "$CLIENT" --addr no-such-host.invalid --port 4500
	assert_failure 1 || mistake "a name that does not resolve must make the client exit 1"
	assert_output --regexp "^client: cannot resolve 'no-such-host\.invalid': " ||
	    mistake "a name that does not resolve must be said in one line: 'client: cannot resolve ...'"
}

@test "help describes every option and exits 0" {
	local program opt
	for program in "$SERVER" "$CLIENT"; do
		run_program "$program" --help
		assert_success || mistake "$(who "$program") --help must exit 0"
		# shellcheck disable=SC2013 # each word is an option
		for opt in $(sed -n 's/^usage: [a-z]* //p; s/^ \{14\}//p' <<<"$output" |
		    grep -o -- '--[a-z-]*' | sort -u); do
			assert_line --regexp "^  $opt " ||
			    mistake "$(who "$program") --help names $opt in its usage but does not describe it"
		done
	done
}
