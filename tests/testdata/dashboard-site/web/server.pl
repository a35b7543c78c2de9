# Prints "tick N at UNIX-SECONDS greeting=GREETING" every second and answers every HTTP
# request with the greeting. The time lets a test tell a line printed after it started
# following from an older one. perl-base has all it needs.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;

$| = 1;
$SIG{TERM} = sub { exit 0 };
my $greeting = $ENV{GREETING} // '';
my $server = IO::Socket::INET->new(LocalPort => 8000, Listen => 16, ReuseAddr => 1)
  or die "listen: $!";
print "listening on 8000 greeting=$greeting\n";
my $select = IO::Select->new($server);
my ($tick, $next) = (0, time + 1);
while (1) {
  my $wait = $next - time;
  for my $ready ($select->can_read($wait > 0 ? $wait : 0)) {
    my $client = $server->accept or next;
    <$client>;
    while (my $line = <$client>) { last if $line =~ /^\r?\n$/; }
    my $body = "$greeting\n";
    print $client "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
      . length($body) . "\r\nConnection: close\r\n\r\n$body";
    close $client;
  }
  if (time >= $next) {
    $tick++;
    print "tick $tick at " . time . " greeting=$greeting\n";
    $next = time + 1;
  }
}
