// Types of action/comment.mjs, for the tests (the script itself runs as plain JavaScript in the action).
export declare const MAX_COMMENT: number;
export declare function markerLine(marker: string): string;
export declare function fenced(text: string): string;
export declare function commentBody(options: { marker: string; body: string; details?: string; detailsTitle?: string }): string;
export declare function upsertComment(options: {
  client: unknown;
  repository: string;
  issue: string | number;
  marker: string;
  author: string;
  body: string;
}): Promise<{ url: string; created: boolean }>;
