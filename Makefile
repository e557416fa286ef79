# closelab: how a TCP connection ends when several processes share its socket
.POSIX:

include config.mk

# common/: what every program shares, as one library; each links what it uses
COMMON_OBJ = common/util.o common/opt.o common/log.o common/events.o common/sock.o \
	common/kernel.o common/connid.o common/tcpstate.o common/procfd.o common/diag.o \
	common/capture.o common/capture_filter.o common/netns.o common/escape.o common/cgroup.o
SERVER_OBJ = server/main.o server/parent.o server/signals.o server/pool.o server/keep.o server/child.o \
	server/connio.o server/helper.o \
	server/worker.o server/ends.o server/closing.o server/handoff.o server/holders.o \
	server/wire.o server/threads.o
CLIENT_OBJ = client/main.o client/exchange.o client/stats.o client/serverlog.o
HOLDERS_OBJ = holders/main.o holders/snapshot.o holders/diagnose.o holders/report.o holders/metrics.o
TRACE_OBJ = trace/main.o trace/bpfout.o trace/record.o trace/order.o trace/track.o

all: bin/server bin/client bin/timeline bin/holders bin/trace bin/grade grade/jail grade/judge

common/libcommon.a: $(COMMON_OBJ)
	rm -f $@
	$(AR) -rcs $@ $(COMMON_OBJ)

bin/server: $(SERVER_OBJ) common/libcommon.a
	@mkdir -p bin
	$(CC) $(LDFLAGS) $(THREADS) -o $@ $(SERVER_OBJ) common/libcommon.a

# --model thread: POSIX threads
server/threads.o: server/threads.c
	$(CC) $(CPPFLAGS) $(CFLAGS) $(THREADS) -c -o $@ server/threads.c

bin/client: $(CLIENT_OBJ) common/libcommon.a
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $(CLIENT_OBJ) common/libcommon.a

bin/holders: $(HOLDERS_OBJ) common/libcommon.a
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $(HOLDERS_OBJ) common/libcommon.a

bin/trace: $(TRACE_OBJ) common/libcommon.a
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $(TRACE_OBJ) common/libcommon.a

# the tracer finds closes.bt beside it in the tree (../trace); installed, in
# $(PREFIX)/share/closelab
trace/main.o: trace/main.c
	$(CC) $(CPPFLAGS) -DSHAREDIR=\"$(PREFIX)/share/closelab\" $(CFLAGS) -c -o $@ trace/main.c

# the timeline finds its awk programs beside it in the tree (../timeline,
# ../common); installed, in $(PREFIX)/share/closelab
bin/timeline: timeline/timeline.sh config.mk
	@mkdir -p bin
	sed 's/@VERSION@/$(VERSION)/' timeline/timeline.sh >$@
	chmod 755 $@

# the class grader finds its sandbox, the tests and the client in the tree;
# installed, in $(PREFIX)/share/closelab/grade
bin/grade: grade/grade.sh config.mk
	@mkdir -p bin
	sed 's/@VERSION@/$(VERSION)/' grade/grade.sh >$@
	chmod 755 $@

# the sandbox's jail: how the grader lets go of root (Linux)
grade/jail: grade/jail.o common/libcommon.a
	$(CC) $(LDFLAGS) -o $@ grade/jail.o common/libcommon.a

grade/jail.o: config.mk $(COMMON_H)

# the lesson assignment's checks, from the kernel's view (Linux)
grade/judge: grade/judge.o common/libcommon.a
	$(CC) $(LDFLAGS) -o $@ grade/judge.o common/libcommon.a

grade/judge.o: config.mk $(COMMON_H)

.c.o:
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

COMMON_H = common/util.h common/opt.h common/log.h common/events.h common/sock.h \
	common/kernel.h common/connid.h common/tcpstate.h common/procfd.h common/diag.h \
	common/capture.h common/netns.h common/escape.h common/cgroup.h
$(COMMON_OBJ) $(SERVER_OBJ) $(CLIENT_OBJ) $(HOLDERS_OBJ) $(TRACE_OBJ): config.mk $(COMMON_H)
$(SERVER_OBJ): server/server.h server/worker.h
$(CLIENT_OBJ): client/client.h
$(HOLDERS_OBJ): holders/holders.h holders/diagnose.h
$(TRACE_OBJ): trace/trace.h

# make demo: the headline comparison; make demo SCENARIO=NAME: one scenario;
# HTML=FILE: each timeline as an HTML page too
demo: all
	HTML="$(HTML)" sh demo/demo.sh $(SCENARIO)

scenarios: all
	sh demo/demo.sh list

# each exercise of docs/lab.md run with its own command, and what it tells the
# student to observe checked against docs/lab-key.md; EXERCISES="1 4": some only
lab-check: all
	sh demo/labcheck.sh $(EXERCISES)

# the diagrams in docs/, drawn from a run with the segments captured (root)
diagrams: all
	sh demo/demo.sh --svg docs close-while-held shutdown-while-held >/dev/null

# make test SERVER=path CLIENT=path grades another implementation of the
# contract (docs/contract.md); TESTS="tests/x.bats ..." runs some files only
test: all
	SERVER="$(SERVER)" CLIENT="$(CLIENT)" bash tests/run.sh $(TESTS)

# the suite against an ASan+UBSan build, valgrind, cppcheck, shellcheck, fuzzing
check: all
	sh tests/check.sh

# the fuzz target alone, for FUZZ_SECONDS (20)
fuzz:
	sh tests/check.sh fuzz

# make grade SUBMISSIONS=dir [JOBS=n] [OUTDIR=dir]: grade a class (root)
grade: all
	bin/grade $(JOBS:%=-j %) $(OUTDIR:%=-o %) "$(SUBMISSIONS)"

# the grader itself on a class of twenty made for it (root; minutes)
grade-class: all
	CLOSELAB_GRADE_CLASS=full bash tests/run.sh tests/grade.bats

# the grader alone, as a grading platform builds it (grade/platform/)
grader: bin/grade bin/client grade/jail grade/judge

# what Gradescope, PrairieLearn and GitHub Classroom need to judge the
# lesson's assignment: make grade-package [PACKAGE=dir] [REQUIRE=model]
# [WEIGHTS=file]
PACKAGE = grade-package
grade-package:
	sh grade/platform/package.sh "$(PACKAGE)" "$(REQUIRE)" "$(WEIGHTS)"

# a benchmark, not a test: it prints figures and judges none
bench: all
	sh bench/bench.sh

# each program's sources, for the builds of tests/check.sh
sources:
	@echo "server $(SERVER_OBJ:.o=.c) $(COMMON_OBJ:.o=.c)"
	@echo "client $(CLIENT_OBJ:.o=.c) $(COMMON_OBJ:.o=.c)"
	@echo "common $(COMMON_OBJ:.o=.c)"
	@echo "holders $(HOLDERS_OBJ:.o=.c) $(COMMON_OBJ:.o=.c)"
	@echo "trace $(TRACE_OBJ:.o=.c) $(COMMON_OBJ:.o=.c)"
	@echo "jail grade/jail.c $(COMMON_OBJ:.o=.c)"
	@echo "judge grade/judge.c $(COMMON_OBJ:.o=.c)"

# the holders part of make bench alone: bin/holders beside ss and lsof
bench-holders: bin/holders
	sh bench/holders.sh

# bin/trace's cost: rate runs with the tracer attached and without (root)
bench-trace: all
	sh bench/trace.sh

# bin/grade's speed on a class of 40 of the lesson (root)
bench-grade: all
	sh bench/grade.sh

clean:
	rm -f bin/server bin/client bin/timeline bin/holders bin/trace bin/grade grade/jail grade/jail.o \
	    grade/judge grade/judge.o
	rm -f common/libcommon.a $(COMMON_OBJ) $(SERVER_OBJ) $(CLIENT_OBJ) $(HOLDERS_OBJ) $(TRACE_OBJ)

# installed with a prefix, since "server" and "client" are too plain for a PATH
install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin
	cp -f bin/server $(DESTDIR)$(PREFIX)/bin/closelab-server
	cp -f bin/client $(DESTDIR)$(PREFIX)/bin/closelab-client
	cp -f bin/holders $(DESTDIR)$(PREFIX)/bin/closelab-holders
	cp -f bin/trace $(DESTDIR)$(PREFIX)/bin/closelab-trace
	sed 's|^awkdir=$$|awkdir=$(PREFIX)/share/closelab|' bin/timeline \
	    >$(DESTDIR)$(PREFIX)/bin/closelab-timeline
	sed 's|^gradedir=$$|gradedir=$(PREFIX)/share/closelab/grade|' bin/grade \
	    >$(DESTDIR)$(PREFIX)/bin/closelab-grade
	cd $(DESTDIR)$(PREFIX)/bin && \
	    chmod 755 closelab-server closelab-client closelab-holders closelab-trace \
	    closelab-timeline closelab-grade
	mkdir -p $(DESTDIR)$(PREFIX)/share/closelab
	cp -f timeline/timeline.awk timeline/svg.awk timeline/html.awk timeline/check.awk common/log.awk \
	    trace/closes.bt $(DESTDIR)$(PREFIX)/share/closelab
	cd $(DESTDIR)$(PREFIX)/share/closelab && \
	    chmod 644 timeline.awk svg.awk html.awk check.awk log.awk closes.bt
	# the grader's files, laid out as in the tree: the core tests, what they
	# load, the sandbox's script and closelab's client
	g=$(DESTDIR)$(PREFIX)/share/closelab/grade && \
	    mkdir -p $$g/bin $$g/common $$g/grade $$g/tests/programs $$g/tests/fault && \
	    cp -f bin/client $$g/bin/client && \
	    cp -f common/serverctl.sh common/log.awk common/event.awk common/values.awk \
	    common/field.awk $$g/common && \
	    cp -f grade/sandbox.sh grade/cgroup.sh grade/results.awk grade/report.awk grade/jail \
	    grade/judge grade/lesson.tsv $$g/grade && \
	    cp -f tests/bats.sh tests/test_helper.bash tests/core.list $$g/tests && \
	    for f in $$(cat tests/core.list); do cp -f tests/$$f $$g/tests; done && \
	    cp -f tests/programs/*.py $$g/tests/programs && \
	    cp -f tests/fault/fault.c $$g/tests/fault && \
	    find $$g -type d -exec chmod 755 {} + && find $$g -type f -exec chmod 644 {} + && \
	    chmod 755 $$g/bin/client $$g/grade/jail $$g/grade/judge
	mkdir -p $(DESTDIR)$(MANPREFIX)/man1
	cp -f docs/server.1 $(DESTDIR)$(MANPREFIX)/man1/closelab-server.1
	cp -f docs/client.1 $(DESTDIR)$(MANPREFIX)/man1/closelab-client.1
	cp -f docs/holders.1 $(DESTDIR)$(MANPREFIX)/man1/closelab-holders.1
	cp -f docs/timeline.1 $(DESTDIR)$(MANPREFIX)/man1/closelab-timeline.1
	cp -f docs/trace.1 $(DESTDIR)$(MANPREFIX)/man1/closelab-trace.1
	cp -f docs/grade.1 $(DESTDIR)$(MANPREFIX)/man1/closelab-grade.1
	cd $(DESTDIR)$(MANPREFIX)/man1 && \
	    chmod 644 closelab-server.1 closelab-client.1 closelab-holders.1 \
	    closelab-timeline.1 closelab-trace.1 closelab-grade.1

uninstall:
	cd $(DESTDIR)$(PREFIX)/bin && \
	    rm -f closelab-server closelab-client closelab-holders closelab-trace closelab-timeline \
	    closelab-grade
	rm -rf $(DESTDIR)$(PREFIX)/share/closelab
	cd $(DESTDIR)$(MANPREFIX)/man1 && \
	    rm -f closelab-server.1 closelab-client.1 closelab-holders.1 closelab-timeline.1 \
	    closelab-trace.1 closelab-grade.1

.PHONY: all demo scenarios lab-check diagrams test check fuzz grade grade-class grader grade-package \
	bench \
	bench-holders bench-trace bench-grade sources clean install uninstall
