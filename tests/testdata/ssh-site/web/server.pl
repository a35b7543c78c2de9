#!/usr/bin/perl
# Answers HTTP health checks on 0.0.0.0:8000 and greets on 127.0.0.1:7000, which only the
# container itself (and an SSH forward into it) can reach.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;

my $http = IO::Socket::INET->new(LocalAddr => '0.0.0.0:8000', Listen => 16, ReuseAddr => 1)
  or die "port 8000: $!";
my $local = IO::Socket::INET->new(LocalAddr => '127.0.0.1:7000', Listen => 16, ReuseAddr => 1)
  or die "port 7000: $!";
$| = 1;
print "listening\n";
my $select = IO::Select->new($http, $local);
while (1) {
  for my $ready ($select->can_read) {
    my $client = $ready->accept or next;
    if ($ready == $local) {
      print $client "hello from the container's localhost\n";
    } else {
      my $request = <$client> // '';
      while (my $line = <$client>) { last if $line =~ /^\r?\n$/; }
      print $client "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
    }
    close $client;
  }
}
