import { fitToOneSms } from '../notifications/sms/sms-text.js';

/** API.md, Notifications: the text sent when a todo is created. */
export function todoCreatedText(title: string): string {
  return fitToOneSms('New todo: ', title);
}
