# closelab: how a TCP connection ends when several processes share its socket
.POSIX:

include config.mk

COMMON = common/util.o common/opt.o common/log.o common/sock.o
SERVER = server/main.o server/parent.o server/worker.o server/handoff.o server/holders.o
CLIENT = client/client.o

all: bin/server bin/client

bin/server: $(SERVER) $(COMMON)
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $(SERVER) $(COMMON)

bin/client: $(CLIENT) $(COMMON)
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $(CLIENT) $(COMMON)

.c.o:
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(COMMON) $(SERVER) $(CLIENT): config.mk common/util.h common/log.h common/sock.h common/opt.h
$(SERVER): server/server.h

demo: all
	sh demo/demo.sh

test: all
	sh tests/run.sh

clean:
	rm -f bin/server bin/client $(COMMON) $(SERVER) $(CLIENT)

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin
	cp -f bin/server $(DESTDIR)$(PREFIX)/bin/closelab-server
	cp -f bin/client $(DESTDIR)$(PREFIX)/bin/closelab-client
	chmod 755 $(DESTDIR)$(PREFIX)/bin/closelab-server $(DESTDIR)$(PREFIX)/bin/closelab-client

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/closelab-server $(DESTDIR)$(PREFIX)/bin/closelab-client

.PHONY: all demo test clean install uninstall
