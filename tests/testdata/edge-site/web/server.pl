# A small HTTP and WebSocket server for the edge's tests: GET / answers "version $VERSION",
# /healthz follows $HEALTHY, /headers shows the forwarding headers it received, /slow takes
# 30 s to answer, /stream sends a first part and then nothing for 30 s, and a
# WebSocket upgrade echoes text frames. One process per connection, so that an open
# WebSocket does not hold up other requests. perl-base has all it needs.
use strict;
use warnings;
use IO::Socket::INET;
use Digest::SHA qw(sha1_base64);

$| = 1;
$SIG{CHLD} = 'IGNORE';
$SIG{TERM} = sub { exit 0 };
my $version = $ENV{VERSION} // '0';
my $healthy = ($ENV{HEALTHY} // 'yes') eq 'yes';
my $server = IO::Socket::INET->new(LocalPort => 8000, Listen => 128, ReuseAddr => 1)
  or die "listen: $!";
print "version $version listening on 8000\n";
while (1) {
  my $client = $server->accept or next;
  my $pid = fork;
  if (!defined $pid || $pid) {
    close $client;
    next;
  }
  close $server;
  serve($client);
  exit 0;
}

sub respond {
  my ($client, $status, $body) = @_;
  print $client "HTTP/1.1 $status\r\nContent-Type: text/plain\r\nContent-Length: "
    . length($body) . "\r\nConnection: close\r\n\r\n$body";
}

sub serve {
  my ($client) = @_;
  my $request = <$client> // return;
  my (undef, $path) = split / /, $request;
  my %headers;
  while (my $line = <$client>) {
    $line =~ s/\r?\n$//;
    last if $line eq '';
    my ($name, $value) = split /:\s*/, $line, 2;
    $headers{lc $name} = $value;
  }
  if (lc($headers{upgrade} // '') eq 'websocket') {
    my $key = $headers{'sec-websocket-key'} // '';
    my $accept = sha1_base64($key . '258EAFA5-E914-47DA-95CA-C5AB0DC85B11') . '=';
    print $client "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
      . "Connection: Upgrade\r\nSec-WebSocket-Accept: $accept\r\n\r\n";
    echo_frames($client);
  } elsif ($path eq '/stream') {
    # No length: the response is a stream, which the edge must pass on as it comes.
    print $client "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
      . "first part\n";
    sleep 30;
  } elsif ($path eq '/slow') {
    sleep 30;
    respond($client, '200 OK', "too late\n");
  } elsif ($path eq '/healthz') {
    respond($client, $healthy ? '200 OK' : '500 Internal Server Error', "healthy: $healthy\n");
  } elsif ($path eq '/headers') {
    respond($client, '200 OK',
      join('', map { "$_: $headers{$_}\n" } grep { /^(x-forwarded-|host$)/ } sort keys %headers));
  } else {
    respond($client, '200 OK', "version $version\n");
  }
}

sub read_exactly {
  my ($client, $n) = @_;
  my $data = '';
  while (length($data) < $n) {
    my $got = read($client, my $chunk, $n - length($data));
    return undef unless $got;
    $data .= $chunk;
  }
  return $data;
}

# Client frames are masked; ours are not. Text frames are echoed, a close is answered.
sub echo_frames {
  my ($client) = @_;
  while (1) {
    my $head = read_exactly($client, 2) // return;
    my ($first, $second) = unpack 'CC', $head;
    my $opcode = $first & 0x0f;
    my $length = $second & 0x7f;
    if ($length == 126) {
      my $extended = read_exactly($client, 2) // return;
      $length = unpack 'n', $extended;
    } elsif ($length == 127) {
      return;
    }
    my $mask = "\0\0\0\0";
    if ($second & 0x80) {
      $mask = read_exactly($client, 4) // return;
    }
    my $payload = $length ? (read_exactly($client, $length) // return) : '';
    $payload ^= substr($mask x (int($length / 4) + 1), 0, $length);
    if ($opcode == 8) {
      print $client pack('CC', 0x88, 0);
      return;
    }
    next unless $opcode == 1;
    my $reply = "echo: $payload";
    my $n = length $reply;
    print $client ($n < 126 ? pack('CC', 0x81, $n) : pack('CCn', 0x81, 126, $n)) . $reply;
  }
}
