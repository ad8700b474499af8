/** placeholder, replaced by the admin page */
export function adminPage(): { html: string; headers: Record<string, string> } {
  return { html: '<!doctype html><title>leadgate admin</title>', headers: {} };
}
