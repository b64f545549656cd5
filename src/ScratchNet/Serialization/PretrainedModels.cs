// The models this project trained and ships in pretrained/ (beside the repository's data/, inside
// the tool package, and copied into the output of any app that references the library package),
// each pinned by its SHA-256 like the MNIST files. Their recipes are in pretrained/README.md.
using System.Security.Cryptography;

namespace ScratchNet.Serialization;

/// <summary>A model trained by this project and shipped with it.</summary>
/// <param name="Name">The preset it was trained with, and its file's name (NAME.safetensors).</param>
/// <param name="TestAccuracy">Its accuracy on the 10,000 MNIST test images, as a fraction.</param>
/// <param name="Sha256">The pinned SHA-256 of its file.</param>
/// <param name="Command">The command that trains it again, bit for bit.</param>
public sealed record PretrainedModel(string Name, double TestAccuracy, string Sha256, string Command);

/// <summary>Finds, checks and loads the shipped pretrained models.</summary>
public static class PretrainedModels
{
    /// <summary>The folder name the models are shipped in.</summary>
    public const string FolderName = "pretrained";

    /// <summary>Every shipped model, best test accuracy first.</summary>
    public static IReadOnlyList<PretrainedModel> All { get; } =
    [
        new("cnn", 0.9954, "ef9ddcd956144671d2c77485d8af3d4e301e34b8f7ebee3916ae8db5673d1eed", "scratchnet train --preset cnn --out pretrained/cnn.safetensors"),
        new("cnn-fast", 0.9911, "ff25df4ce6569e32c2977fd4dae1e3648b7a1cbd8433603b3ff3821ef9dd2583", "scratchnet train --preset cnn-fast --out pretrained/cnn-fast.safetensors"),
        new("mlp", 0.9865, "311a16f43dbb3af0d8140264e47f57f2e801ecc58e09833726527aaa6551fd35", "scratchnet train --preset mlp --out pretrained/mlp.safetensors"),
        new("seed-tuned", 0.9443, "e9485b5d7180d252668677aded59ad12365603f2bb59a265a6ff4204edfcdf59", "scratchnet train --preset seed-tuned --out pretrained/seed-tuned.safetensors"),
        new("seed", 0.8540, "d186ffb9c1a44bf76576f139ab24115b09b6ebead6ad05dfa79c0c0db3e12c31", "scratchnet train --preset seed --out pretrained/seed.safetensors"),
    ];

    /// <summary>The shipped model with the best test accuracy: the default of serve, predict and export.</summary>
    public static PretrainedModel Best => All[0];

    /// <summary>The shipped model named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No shipped model has that name; the message lists them.</exception>
    public static PretrainedModel Get(string name) =>
        All.FirstOrDefault(m => m.Name == name) ?? throw new ArgumentException(
            $"There is no shipped model '{name}'; the shipped models are {string.Join(", ", All.Select(m => m.Name))}.");

    /// <summary>The folder of shipped models, looked for above the working folder and above the program, or null.</summary>
    public static string? FindDirectory()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, FolderName);
                if (All.Any(m => File.Exists(Path.Combine(candidate, m.Name + ".safetensors"))))
                {
                    return candidate;
                }
            }
        }
        return null;
    }

    /// <summary>The path of the shipped model's file.</summary>
    /// <exception cref="FileNotFoundException">The shipped folder or the file is missing; the message says how to fix it.</exception>
    public static string PathOf(PretrainedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        string folder = FindDirectory() ?? throw new FileNotFoundException(
            $"The shipped models folder {FolderName}/ was not found above the working folder or the program. Run from the repository or the installed tool, or pass --model PATH.");
        string path = Path.Combine(folder, model.Name + ".safetensors");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: the shipped model {model.Name} is missing. Restore it (git checkout -- {FolderName}) or pass --model PATH.", path);
        }
        return path;
    }

    /// <summary>Loads a shipped model after checking its pinned SHA-256.</summary>
    /// <exception cref="InvalidDataException">The file does not match its checksum; the message says how to restore it.</exception>
    public static Model Load(PretrainedModel model) => Load(model, PathOf(model));

    /// <summary>Loads <paramref name="path"/> as the shipped model <paramref name="model"/>, checking its pinned SHA-256 first.</summary>
    public static Model Load(PretrainedModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        InputFile.Check(path, "a model file");
        byte[] bytes = File.ReadAllBytes(path);
        string actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(actual, model.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"{path}: checksum mismatch: the shipped model {model.Name} should have SHA-256 {model.Sha256}, found {actual}. The file is corrupt or was replaced; restore it (git checkout -- {FolderName}, or reinstall the tool) or pass --model PATH.");
        }
        return ModelFile.Deserialize(bytes, path);
    }
}
