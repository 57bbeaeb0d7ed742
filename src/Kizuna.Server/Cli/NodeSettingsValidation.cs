using Kizuna.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Kizuna.Server.Cli;

/// <summary>
/// The checks a node's settings must pass before it starts, whichever way they were made (the
/// command line, a test, the trilateral demo); each failure names its setting as the command
/// line, the file and the environment know it, and says what would do.
/// </summary>
public sealed class NodeSettingsValidation : IValidateOptions<NodeSettings>
{
    public static NodeSettingsValidation Instance { get; } = new();

    /// <summary>Returns <paramref name="settings"/> when they pass; otherwise throws naming every failure.</summary>
    /// <exception cref="SettingsException">One or more settings cannot be used.</exception>
    public static NodeSettings Checked(NodeSettings settings)
    {
        var result = Instance.Validate(null, settings);
        return result.Failed ? throw new SettingsException(string.Join("; ", result.Failures!)) : settings;
    }

    public ValidateOptionsResult Validate(string? name, NodeSettings options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Positive(TimeSpan value, SettingDefinition setting)
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"{setting.Name}: {value} is not a positive duration (for example {setting.Default})");
            }
        }

        void AtLeast(int value, int least, SettingDefinition setting)
        {
            if (value < least)
            {
                failures.Add($"{setting.Name}: {value} is less than {least}");
            }
        }

        if (string.IsNullOrWhiteSpace(options.DataDir))
        {
            failures.Add($"{ServeCommand.DataDir.Name}: must not be empty");
        }

        Positive(options.IdleTimeout, ServeCommand.IdleTimeout);
        Positive(options.HandshakeTimeout, ServeCommand.HandshakeTimeout);
        Positive(options.WarningResend, ServeCommand.WarningResend);
        Positive(options.WarningEscalate, ServeCommand.WarningEscalate);
        Positive(options.WarningLease, ServeCommand.WarningLease);
        if (options.Retention is { } retention)
        {
            Positive(retention, ServeCommand.Retention);
        }

        AtLeast(options.MaxConnectionsPerAddress, 1, ServeCommand.MaxConnectionsPerAddress);
        AtLeast(options.PictureQueueCapacity, 1, ServeCommand.PictureQueue);
        AtLeast(options.MaxEventBytes, 1, ServeCommand.MaxEventBytes);
        AtLeast(options.IntakeHandshakeSlots, 1, ServeCommand.IntakeHandshakeSlots);
        if (options.IntakeHandshakeSlots >= WarningIntakeListener.MaxConnections)
        {
            failures.Add($"{ServeCommand.IntakeHandshakeSlots.Name}: {options.IntakeHandshakeSlots} would leave no slot of the intake's {WarningIntakeListener.MaxConnections} for authenticated sensors; give fewer");
        }

        if (options.LogFormat is not ("text" or "json"))
        {
            failures.Add($"{ServeCommand.LogFormat.Name}: '{options.LogFormat}' is neither text nor json");
        }

        if (string.IsNullOrWhiteSpace(options.NodeOrg))
        {
            failures.Add($"{ServeCommand.NodeOrg.Name}: must name an organization of the alliance profile");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
