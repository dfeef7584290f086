/*
 * The machine's own round-trip bound for stop-and-wait, with no runtime in the way: blocking
 * sendto/recv of a 1024-byte datagram, an 8-byte answer, 20,000 times, on loopback.
 * Compare both processes on one CPU with the two on different CPUs (see bench/lib/cpu-placement.ts):
 *
 *   gcc -O2 -o /tmp/udp-ping-pong bench/native/udp-ping-pong.c
 *   taskset -c 0 /tmp/udp-ping-pong echo 40999 & ECHO=$!
 *   taskset -c 0 /tmp/udp-ping-pong ping 40999; taskset -c 1 /tmp/udp-ping-pong ping 40999
 *   kill $ECHO
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define ROUNDS 20000

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[1], "echo") != 0 && strcmp(argv[1], "ping") != 0)) {
    fprintf(stderr, "usage: %s echo|ping PORT\n", argv[0]);
    return 2;
  }
  int sock = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in address = {0};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = inet_addr("127.0.0.1");
  address.sin_port = htons(atoi(argv[2]));
  char buffer[2048] = {0};
  if (strcmp(argv[1], "echo") == 0) {
    if (bind(sock, (struct sockaddr *)&address, sizeof address) != 0) { perror("bind"); return 1; }
    for (;;) {
      struct sockaddr_in from;
      socklen_t length = sizeof from;
      if (recvfrom(sock, buffer, sizeof buffer, 0, (struct sockaddr *)&from, &length) < 0) { perror("recvfrom"); return 1; }
      sendto(sock, buffer, 8, 0, (struct sockaddr *)&from, length);
    }
  }
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (int round = 0; round < ROUNDS; round++) {
    sendto(sock, buffer, 1024, 0, (struct sockaddr *)&address, sizeof address);
    if (recv(sock, buffer, sizeof buffer, 0) < 0) { perror("recv"); return 1; }
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  double seconds = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
  printf("%.0f round trips/s\n", ROUNDS / seconds);
  return 0;
}
