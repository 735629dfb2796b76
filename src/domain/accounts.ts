/** Account field rules, shared by Register, the bootstrap admin and the CLI. */
import { invalidField } from "./field-violations.js";

const USERNAME = /^[A-Za-z0-9._-]{3,64}$/;
// Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is not our concern.
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;

export function validateUsername(username: string): string {
  if (!USERNAME.test(username)) {
    throw invalidField("username", "3-64 characters: letters, digits, '.', '_' or '-'");
  }
  return username;
}

export function validateEmail(email: string): string {
  const trimmed = email.trim();
  if (trimmed.length > 254 || !EMAIL.test(trimmed)) throw invalidField("email", "a valid email address");
  return trimmed;
}

export function validateFullName(fullName: string): string {
  const trimmed = fullName.trim();
  if (trimmed.length > 200 || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw invalidField("full_name", "at most 200 printable characters");
  }
  return trimmed;
}
