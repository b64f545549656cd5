// Read the digit in your own PNG, JPEG or BMP with a pretrained model that ships in the ScratchNet
// package: dotnet run -- my-digit.png (without arguments it reads seven.png, a test digit drawn dark on light).
using ScratchNet;
using ScratchNet.Images;

string[] files = args.Length > 0 ? args : [Path.Combine(AppContext.BaseDirectory, "seven.png")];
Digits model = Digits.LoadPretrained();   // the best shipped model, checked against its SHA-256
Console.WriteLine($"model: {model}");

foreach (string file in files)
{
    try
    {
        DigitPrediction p = model.PredictImage(file);
        Console.WriteLine($"{Path.GetFileName(file)}: {p.Digit} ({p.Confidence:P1})");
    }
    catch (Exception e) when (e is IOException or InvalidDataException)
    {
        Console.Error.WriteLine(e.Message);   // names the file and what is wrong with it
        return 2;
    }
}
return 0;
