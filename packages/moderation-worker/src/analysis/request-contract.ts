// A request the engine's contract refuses is never sent. The facts read builds requests from typed
// columns, so what it can get wrong is their size: more players than the contract allows, or (were
// the read's LIMIT ever changed) more events per player. Checked against the client's own limits, in
// O(players): a full schema parse of every request costs a few times the request's JSON.stringify
// (docs/design-notes.md), on the hot path, for violations the read cannot make.
import { type AnalyzeRequest, MAX_PLAYER_EVENTS, MAX_REQUEST_PLAYERS } from '@geoduels/risk-client/signals';

/** Why a match's request was not sent (the run row's last_failure starts with it). */
export type UnsendableReason = 'too_many_players' | 'too_many_events';

/** What makes a request unsendable: a named reason and the numbers. */
export interface UnsendableRequest {
  reason: UnsendableReason;
  detail: string;
}

/**
 * Null when `request` is within contract v1's size limits (MAX_REQUEST_PLAYERS players, each with at
 * most MAX_PLAYER_EVENTS events); otherwise the first limit it breaks, named, with the count.
 */
export function unsendableRequest(request: AnalyzeRequest): UnsendableRequest | null {
  const players = request.players.length;
  if (players > MAX_REQUEST_PLAYERS) {
    return {
      reason: 'too_many_players',
      detail: `too_many_players: ${players} players, the engine contract allows at most ${MAX_REQUEST_PLAYERS}`,
    };
  }
  for (const player of request.players) {
    if (player.events.length > MAX_PLAYER_EVENTS) {
      return {
        reason: 'too_many_events',
        detail: `too_many_events: ${player.events.length} events of player ${player.userId}, the engine contract allows at most ${MAX_PLAYER_EVENTS}`,
      };
    }
  }
  return null;
}
