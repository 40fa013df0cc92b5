// The presets of the tools editor: one tool list in each accepted form, with
// a query the bundled demo model answers. Each `tools` is the editor's text.

const weather = [
  { name: "get_current_weather", description: "Get the current weather for a city.",
    parameters: { city: { type: "string", description: "City name.", required: true } } },
  { name: "send_email", description: "Send an email to a recipient.",
    parameters: {
      to: { type: "string", description: "Recipient email address.", required: true },
      subject: { type: "string", description: "Email subject line.", required: false },
      body: { type: "string", description: "Email body text.", required: false },
    } },
];

const smartHome = [
  { type: "function", function: { name: "turn_on_lights", description: "Turn on the lights in a room.",
    parameters: { type: "object", properties: { room: { type: "string", description: "Room name." } }, required: ["room"] } } },
  { type: "function", function: { name: "turn_off_lights", description: "Turn off the lights in a room.",
    parameters: { type: "object", properties: { room: { type: "string", description: "Room name." } }, required: ["room"] } } },
  { type: "function", function: { name: "set_temperature", description: "Set the thermostat temperature.",
    parameters: { type: "object", properties: { temperature: { type: "number", description: "Target temperature." },
      room: { type: "string", description: "Room or zone." } }, required: ["temperature"] } } },
];

const reminders = [
  { name: "create_reminder", description: "Create a reminder.",
    parameters: { type: "object", properties: {
      task: { type: "string", description: "What to be reminded about." },
      date: { type: "string", description: "Day of the reminder." },
      time: { type: "string", description: "Time of the reminder." },
    }, required: ["task"] } },
  { name: "set_timer", description: "Start a countdown timer.",
    parameters: { type: "object", properties: {
      minutes: { type: "integer", description: "Timer length in minutes." },
      label: { type: "string", description: "Name for the timer." },
    }, required: ["minutes"] } },
  { name: "set_alarm", description: "Set an alarm.",
    parameters: { type: "object", properties: { time: { type: "string", description: "Alarm time." } }, required: ["time"] } },
];

/** id → { label, tools (editor text), query }. */
export const PRESETS = {
  weather: { label: "Weather and email (Needle's flat format)", tools: JSON.stringify(weather, null, 2), query: "What's the weather in Paris?" },
  "smart-home": { label: "Smart home (OpenAI tools)", tools: JSON.stringify(smartHome, null, 2), query: "Turn off the lights in the kitchen" },
  reminders: { label: "Reminders and timers (JSON Schema parameters)", tools: JSON.stringify(reminders, null, 2), query: "Remind me to call mom tomorrow at 6 pm" },
};

export const DEFAULT_PRESET = "weather";
